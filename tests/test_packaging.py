"""The two install routes (pip via pyproject.toml, conda via environment.yml) must agree, and the
README must keep its two set-up commands, which .ci/run must call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from their PyPI names
CONDA_TO_PYPI = {"python-dotenv": "python-dotenv"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].strip().lower()


def test_environment_yml_matches_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = {_name(d) for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_deps = {CONDA_TO_PYPI.get(_name(d), _name(d)) for d in conda} - {"python", "pip"}
    assert conda_deps == pip_deps
    assert "conda-forge" in env["channels"]
    python = next(d for d in conda if _name(d) == "python")
    assert project["requires-python"].lstrip(">=") in python


def test_readme_has_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "./dev lab" in readme and "./dev test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec \./dev test$", ci, flags=re.MULTILINE)


def test_gitignore_covers_secrets_and_state():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".env", ".aura_nb/", ".venv/", ".ipynb_checkpoints/"):
        assert entry in ignored
