"""``aura-nb``: one command for the parts; ``aura-nb notebooks DIR`` never overwrites an edited copy
unless told."""

from __future__ import annotations

from pathlib import Path

from aura_nb import cli
from aura_nb.notebook_files import notebook_files, notebooks_folder

ROOT = Path(__file__).resolve().parents[2]


def test_in_a_clone_the_notebooks_are_the_repository_folder():
    assert notebooks_folder() == ROOT / "notebooks"
    files = notebook_files()
    assert "00-start-here.ipynb" in files and "data/roster.csv" in files
    assert not [name for name in files if ".ipynb_checkpoints" in name]


def test_notebooks_copies_then_keeps_an_edited_copy_unless_forced(tmp_path, capsys):
    target = tmp_path / "mine"
    assert cli.main(["notebooks", str(target)]) == 0
    first = capsys.readouterr().out
    total = len(notebook_files())
    assert first == f"{total} copied to {target}, 0 already there unchanged\n"
    edited = target / "03-create-instance.ipynb"
    edited.write_text("my own notes")
    (target / "00-start-here.ipynb").unlink()

    assert cli.main(["notebooks", str(target)]) == 0
    again = capsys.readouterr().out
    assert again.startswith(f"1 copied to {target}, {total - 2} already there unchanged, 1 kept because you changed")
    assert "03-create-instance.ipynb" in again and "--force" in again and again.count("\n") == 1
    assert edited.read_text() == "my own notes"

    assert cli.main(["notebooks", str(target), "--force"]) == 0
    assert capsys.readouterr().out.startswith(f"1 copied to {target}, {total - 1} already there")
    assert edited.read_bytes() == (ROOT / "notebooks" / "03-create-instance.ipynb").read_bytes()


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["notebooks", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot copy the notebooks into") and err.count("\n") == 1


def test_unknown_part_and_help(capsys):
    assert cli.main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(part in out for part in ("lab", "simulator", "workshop", "notebooks"))


def test_workshop_and_simulator_are_reachable(capsys):
    import pytest

    for part in ("workshop", "simulator"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([part, "--help"])
        assert exit_info.value.code == 0
    assert "usage: aura-nb workshop" in capsys.readouterr().out
