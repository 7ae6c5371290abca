"""The manifest file and the hand-out writer: pure file logic, no simulator."""

from __future__ import annotations

import csv
import json
import stat

import pytest

from aura_nb.workshop import AttendeeRecord, Manifest, ManifestError, workshop_dir
from aura_nb.workshop.handouts import write_handouts


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_asking_for_the_folder_writes_nothing_the_first_save_makes_it_private_and_git_ignored(tmp_path):
    folder = workshop_dir("gds-0612", tmp_path)
    assert folder == tmp_path / "workshops" / "gds-0612"
    assert list(tmp_path.iterdir()) == []  # a path, nothing more
    manifest = Manifest(folder / "manifest.json", "gds-0612", ignore_file=folder.parent / ".gitignore")
    manifest.save()
    assert _mode(folder) == 0o700
    assert (tmp_path / "workshops" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_update_saves_at_once_with_mode_0600_and_round_trips(tmp_path):
    path = tmp_path / "m" / "manifest.json"
    manifest = Manifest(path, "ws")
    manifest.tenant_id, manifest.spec = "t-1", {"type": "professional-db", "memory": "2GB"}
    manifest.add(AttendeeRecord(attendee="Ada", name="ws-ada", email="ada@example.org"))
    manifest.save()
    manifest.update("Ada", instance_id="1a2b3c4d", status="creating", note="first")
    manifest.update("Ada", note="first")  # notes are not repeated
    assert _mode(path) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name != "manifest.json"]  # no temp file left
    again = Manifest.load(path, "ws")
    record = again.get("  ada ")
    assert (record.instance_id, record.status, record.notes, record.email) == ("1a2b3c4d", "creating", ["first"], "ada@example.org")
    assert again.spec == manifest.spec and again.tenant_id == "t-1"
    assert json.loads(path.read_text())["format"] == 1


def test_load_errors_are_one_line(tmp_path):
    with pytest.raises(ManifestError, match="run 'provision'"):
        Manifest.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ManifestError, match="cannot read"):
        Manifest.load(bad)
    other = tmp_path / "other.json"
    Manifest(other, "ws-a").save()
    with pytest.raises(ManifestError, match="belongs to workshop 'ws-a'"):
        Manifest.load(other, "ws-b")
    with pytest.raises(ManifestError, match="no attendee 'Zed'"):
        Manifest.load(other).get("Zed")


def test_handouts_hold_passwords_only_in_attendee_files(tmp_path):
    records = [
        AttendeeRecord("Ada", "ws-ada", "ada@example.org", "aaaa1111", "running", "",
                       "neo4j+s://aaaa1111.databases.neo4j.io", "/v/a", True),
        AttendeeRecord("Bob | B", "ws-bob", "", "bbbb2222", "running", "",
                       "neo4j+s://bbbb2222.databases.neo4j.io", "", False),
        AttendeeRecord("Cy", "ws-cy"),
    ]
    secrets = {"aaaa1111": ("neo4j", "s3cret-Ada-pw")}
    result = write_handouts(tmp_path / "h", "ws", records, lambda r: secrets.get(r.instance_id))
    assert result.missing == ("Cy",) and set(result.files) == {"Ada", "Bob | B"}
    ada = result.files["Ada"].read_text()
    assert "NEO4J_PASSWORD=s3cret-Ada-pw" in ada and "AURA_INSTANCEID=aaaa1111" in ada
    assert "NEO4J_URI=neo4j+s://aaaa1111.databases.neo4j.io" in ada and "AURA_INSTANCENAME=ws-ada" in ada
    bob = result.files["Bob | B"].read_text()
    assert "NEO4J_PASSWORD=\n" in bob and "lost" in bob
    for path in [*result.files.values(), result.summary_csv, result.summary_md]:
        assert _mode(path) == 0o600
    for summary in (result.summary_csv, result.summary_md):
        assert "s3cret-Ada-pw" not in summary.read_text()
    rows = list(csv.DictReader(result.summary_csv.open()))
    assert [r["attendee"] for r in rows] == ["Ada", "Bob | B"]
    assert rows[0]["handout"] == "ws-ada.txt" and rows[0]["email"] == "ada@example.org"
    assert "Bob \\| B" in result.summary_md.read_text()
    assert "s3cret-Ada-pw" not in repr(result)


@pytest.mark.parametrize("attendee", ["<script>alert(1)</script>", "[click](https://evil.example)",
                                      "![img](x.png)", "**Bold** _it_", "a|b\n| c |", "Ann `code`"])
def test_summary_md_shows_attendee_names_as_text_not_markup(tmp_path, attendee):
    import re

    record = AttendeeRecord(attendee, "ws-x", instance_id="cccc3333", status="running")
    text = write_handouts(tmp_path / "h", "ws", [record], lambda r: None).summary_md.read_text()
    row = text.splitlines()[-1]
    assert "<" not in row and ">" not in row                       # no raw HTML
    assert not re.search(r"(?<!\\)[\[\]*_`]", row)                  # no live Markdown
    assert row.count("|") - row.count("\\|") == 7                   # still six cells in one line
