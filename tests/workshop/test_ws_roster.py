"""Roster parsing and instance naming: pure logic, no simulator."""

from __future__ import annotations

import pytest

from aura_nb.workshop import RosterError, instance_names, parse_roster, read_roster, slugify
from aura_nb.workshop.roster import MAX_NAME_LENGTH, check_prefix


def test_reads_attendee_and_email_with_any_header_case(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("\ufeffEMAIL,Attendee\nada@example.org, Ada  Lovelace \n\n,Grace Hopper\n", encoding="utf-8")
    attendees = read_roster(path)
    assert [(a.name, a.email, a.row) for a in attendees] == [
        ("Ada Lovelace", "ada@example.org", 2),
        ("Grace Hopper", "", 4),
    ]


def test_accepts_name_column_instead_of_attendee():
    assert [a.name for a in parse_roster("Name\nAlan\n")] == ["Alan"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("email\nx@y\n", "line 1: no 'attendee' or 'name' column"),
        ("attendee,email\nAda,a@x\n ,b@x\n", "line 3: the attendee is empty"),
        ("attendee\nAda Lovelace\nGrace\nada   LOVELACE\n", "line 4: attendee 'ada LOVELACE' already appears on line 2"),
        ("", "is empty"),
        ("attendee\n", "no attendees"),
        # malformed CSV: refused with the line and what to fix, never read as something else
        ("attendee,email\nAda,\"a@x\nGrace,g@x\n", "line 2: a quoted field opened here is never closed"),
        ('attendee,email\nAda,a@x\n"Grace" Hopper,g@x\n', "line 3: text follows a closing quote"),
        ("attendee,email\nAda,a@x\nGrace," + "x" * 140_000 + "\n", "line 3: a field is longer than 131072"),
        ("attendee\nAda\x00Lovelace\n", "line 2: the attendee 'Ada\\x00Lovelace' holds a control character"),
        # one person typed in NFC and in NFD (e + combining diaeresis) is one attendee, twice
        ("attendee\nZo\u00eb N\u00fa\u00f1ez\nZoe\u0308 Nu\u0301n\u0303ez\n", "line 3: attendee 'Zoë Núñez' already appears on line 2"),
    ],
)
def test_rejects_bad_rosters_with_one_line_naming_the_line(text, expected):
    with pytest.raises(RosterError) as info:
        parse_roster(text, source="class.csv")
    message = str(info.value)
    assert expected in message and "\n" not in message and message.startswith("class.csv")


def test_unreadable_roster_is_a_roster_error(tmp_path):
    with pytest.raises(RosterError, match="cannot read roster"):
        read_roster(tmp_path / "missing.csv")


def test_slugify_drops_accents_and_punctuation():
    assert slugify("  Zoë O'Brien-Núñez ") == "zoe-o-brien-nunez"
    assert slugify("李雷") == ""


@pytest.mark.parametrize("prefix", ["", "Upper", "-x", "x-", "a_b", "x" * 17])
def test_rejects_unusable_prefixes(prefix):
    with pytest.raises(RosterError, match="prefix"):
        check_prefix(prefix)


def test_names_are_deterministic_unique_and_fit_the_api_limit():
    people = ["Ada Lovelace", "ada-lovelace", "Ada. Lovelace", "李雷", "王芳",
              "Maximilian Alexander von Habsburg-Lothringen", "Grace Hopper"]
    names = instance_names("gds-0612", people)
    assert names == instance_names("gds-0612", list(reversed(people)))  # order does not matter
    assert len(set(names.values())) == len(people)
    for name in names.values():
        assert name.startswith("gds-0612-") and len(name) <= MAX_NAME_LENGTH and name == name.strip()
    assert names["Grace Hopper"] == "gds-0612-grace-hopper"  # plain when nothing clashes
    # shared slug, empty slug and truncated slug all carry a hash
    for person in ("Ada Lovelace", "ada-lovelace", "李雷", "Maximilian Alexander von Habsburg-Lothringen"):
        assert names[person] != "gds-0612-" + slugify(person)


def test_attendees_with_a_name_keep_it_and_newcomers_avoid_it():
    first = instance_names("ws", ["Ann Lee"])
    assert first == {"Ann Lee": "ws-ann-lee"}
    later = instance_names("ws", ["Ann Lee", "Ann  lee."], taken=first)
    assert later["Ann Lee"] == "ws-ann-lee"
    assert later["Ann  lee."] != "ws-ann-lee" and later["Ann  lee."].startswith("ws-ann-lee-")


def test_names_are_kept_in_nfc_so_both_spellings_find_the_same_attendee():
    (decomposed,) = parse_roster("attendee\nZoe\u0308\n")
    assert decomposed.name == "Zo\u00eb"


def test_cli_refuses_a_malformed_roster_with_exit_2_and_nothing_sent(tmp_path):
    import io

    from aura_nb.workshop.__main__ import main

    roster = tmp_path / "r.csv"
    roster.write_text('attendee,email\nAda,"a@x\nGrace,g@x\n', encoding="utf-8")
    err = io.StringIO()
    code = main(["provision", "--prefix", "ws", "--roster", str(roster), "--home", str(tmp_path)],
                out=io.StringIO(), err=err, client=object())  # refused before the client is used
    assert code == 2 and "line 2: a quoted field opened here is never closed" in err.getvalue()
    assert "Traceback" not in err.getvalue() and not (tmp_path / "workshops").exists()
