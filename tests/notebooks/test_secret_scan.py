"""No committed notebook holds a secret, in its outputs, metadata or sources.

The scan after the notebooks ran looks for every value their simulator issued (client secret,
access tokens, instance passwords, read from ``GET /_simulator/secrets``) and for anything shaped
like a credential. The scanner's own tests plant secrets to prove it finds them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aura_nb.simulator.remote import SimulatorAdmin
from notebook_secrets import scan_files, scan_notebook, secret_values

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def committed_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def notebook(*outputs: dict, source: str = "client.describe()", metadata: dict | None = None):
    return {"metadata": metadata or {"kernelspec": {"name": "python3"}}, "nbformat": 4,
            "nbformat_minor": 5,
            "cells": [{"cell_type": "code", "id": "c1", "source": source, "metadata": {},
                       "execution_count": 1, "outputs": list(outputs)}]}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


@pytest.mark.after_notebooks
def test_committed_notebooks_hold_no_secret_the_simulator_issued(notebook_simulator):
    issued = SimulatorAdmin(notebook_simulator.base_url).issued_secrets()
    known = secret_values(issued)
    assert notebook_simulator.client_secret in known
    assert issued["access_tokens"], "the notebooks fetched no token: did they run?"
    paths = committed_notebooks()
    assert paths, "no notebook found under notebooks/"
    findings = scan_files(paths, known)
    assert not findings, "\n".join(map(str, findings))


def test_committed_notebooks_hold_nothing_shaped_like_a_credential():
    findings = scan_files(committed_notebooks(), ["simulator-secret", "other-secret"])
    assert not findings, "\n".join(map(str, findings))


def test_committed_notebooks_carry_no_widget_state():
    for path in committed_notebooks():
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert "widgets" not in doc.get("metadata", {}), f"{path.name} saved widget state"


@pytest.mark.parametrize("planted", [
    stream("NEO4J_PASSWORD=Xk3vT9qLmW2pR7sY\n"),
    {"output_type": "execute_result", "execution_count": 1, "metadata": {},
     "data": {"text/plain": "{'access_token': 'eyJhbGciOi.JIUzI1NiJ9.abc'}"}},
    {"output_type": "display_data", "metadata": {},
     "data": {"text/html": "<pre>Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0</pre>"}},
    {"output_type": "error", "ename": "AuthenticationFailed", "evalue": "bad",
     "traceback": ["client_secret='s3cr3t-value-here'"]},
])
def test_scanner_finds_a_planted_credential(planted):
    findings = scan_notebook(notebook(planted), "planted.ipynb")
    assert findings and findings[0].notebook == "planted.ipynb"
    assert "Xk3vT9qLmW2pR7sY" not in str(findings[0])  # the report itself does not leak it


def test_scanner_finds_a_known_value_anywhere():
    secret = "k9_Zq-very-random-password"
    planted = notebook(stream("nothing here\n"), metadata={"note": f"saved {secret}"})
    assert [f.where for f in scan_notebook(planted, "x.ipynb", [secret])] == ["notebook metadata"]
    in_source = notebook(source=f"print('{secret}')")
    assert [f.kind for f in scan_notebook(in_source, "x.ipynb", [secret])] == ["known secret"]


@pytest.mark.parametrize("harmless", [
    "password: ••••••••  (saved to vault: vault/1a2b3c4d-tutorial.txt)\n",
    '{"access_token": "<redacted>", "expires_in": 36}\n',
    "curl -H 'Authorization: Bearer $AURA_TOKEN' https://api.neo4j.io/v1/tenants\n",
    "AURA_CLIENT_SECRET=your-client-secret\n",
    "client secret: set\n",
])
def test_scanner_passes_masked_and_placeholder_values(harmless):
    assert scan_notebook(notebook(stream(harmless)), "ok.ipynb") == []


def test_scanner_reports_a_file_that_is_not_json(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    assert [f.kind for f in scan_files([broken])] == ["not valid JSON"]
