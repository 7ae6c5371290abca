"""The ``jupyter lab`` command line that ``python -m aura_nb.lab`` builds (no process started)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aura_nb import lab


@pytest.mark.parametrize("uid, added", [(0, True), (1000, False)])
def test_allow_root_is_added_only_as_root_with_one_line_saying_why(monkeypatch, capsys, uid, added):
    monkeypatch.setattr(lab.os, "geteuid", lambda: uid)
    command = lab.jupyter_lab_command(Path("/nb"), ["--no-browser"])
    assert command[1:6] == ["-m", "jupyter", "lab", "--notebook-dir=/nb", "--no-browser"]
    assert ("--allow-root" in command) == added
    said = capsys.readouterr().out.splitlines()
    assert said == (["Running as root (usual in containers), so JupyterLab is started with "
                     "--allow-root."] if added else [])


def test_an_explicit_allow_root_is_not_repeated(monkeypatch, capsys):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    command = lab.jupyter_lab_command(Path("/nb"), ["--allow-root"])
    assert command.count("--allow-root") == 1
    assert capsys.readouterr().out == ""


def test_the_news_feed_is_off_unless_asked_for(monkeypatch):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000)
    assert "--LabApp.news_url=None" in lab.jupyter_lab_command(Path("/nb"), [])
    asked = lab.jupyter_lab_command(Path("/nb"), ["--LabApp.news_url=https://example.org/f.xml"])
    assert [a for a in asked if "news_url" in a] == ["--LabApp.news_url=https://example.org/f.xml"]


def test_labs_start_with_the_kit_settings_that_turn_the_news_question_off(monkeypatch, tmp_path):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000)
    settings = lab.lab_settings_dir(tmp_path / "home")
    overrides = json.loads((settings / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    command = lab.jupyter_lab_command(Path("/nb"), [], settings)
    assert f"--LabApp.app_settings_dir={settings}" in command
    own = lab.jupyter_lab_command(Path("/nb"), ["--LabApp.app_settings_dir=/mine"], settings)
    assert [a for a in own if "app_settings_dir" in a] == ["--LabApp.app_settings_dir=/mine"]
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert lab.lab_settings_dir(blocker) is None  # unwritable: Lab starts all the same
    assert not any("app_settings_dir" in a for a in lab.jupyter_lab_command(Path("/nb"), [], None))
