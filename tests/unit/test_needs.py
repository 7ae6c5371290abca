"""tests.helpers.needs: what a test needs from outside the repository is skipped when missing,
except under ``CI=true``, where the test fails (so a CI machine without it cannot pass green)."""

from __future__ import annotations

import pytest

from tests.helpers.needs import reference_file
from tests.helpers.outside import unavailable


@pytest.fixture
def reference(tmp_path, monkeypatch):
    """``$AURA_REFERENCE_DIR`` pointed at an empty folder; returns the folder."""
    monkeypatch.setenv("AURA_REFERENCE_DIR", str(tmp_path))
    return tmp_path


def test_a_reference_file_that_is_there_is_found(reference, monkeypatch):
    monkeypatch.setenv("CI", "true")
    (reference / "aura-api.md").write_text("| Instance `status` |")
    assert reference_file("aura-api.md") == reference / "aura-api.md"


def test_a_missing_reference_skips_outside_ci(reference, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="aura-api.md is not here"):
        reference_file("aura-api.md")


@pytest.mark.parametrize("ci", ["true", "TRUE"])
def test_a_missing_reference_fails_under_ci(reference, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="aura-api.md is not here.*CI needs it"):
        reference_file("aura-api.md")


def test_a_missing_outside_client_follows_the_same_rule(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="neo4j-cli is not installed"):
        unavailable("neo4j-cli", "pip install neo4j-cli")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="neo4j-cli is not installed"):
        unavailable("neo4j-cli", "pip install neo4j-cli")
