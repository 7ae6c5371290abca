"""``python -m aura_nb.workshop verify``: every attendee's hand-out logs in to their instance
(the neo4j driver against the simulator's Bolt endpoint)."""

from __future__ import annotations

import io
import re

import pytest

from aura_nb.workshop.__main__ import EXIT_INCOMPLETE, EXIT_OK, main

from tests.helpers.simulator import Api, prefixed

pytest.importorskip("neo4j")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()



def outcomes(out: str) -> dict[str, str]:
    """attendee -> outcome, from verify's per-attendee lines."""
    found = {}
    for line in out.splitlines():
        match = re.match(r"^(.+?): (ok|wrong password|not running|no hand-out|error: .*?)( \(\w+\))?$",
                         line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_verify_logs_in_with_every_handout_and_reports_what_fails(env, roster_file, home, trust_env):
    sim = env
    code, _, err = run("provision", "--prefix", "vfy", "--roster", str(roster_file(10)),
                       "--memory", "2GB", "--max-instances", "10")
    assert code == 0, err

    code, out, err = run("verify", "--prefix", "vfy")
    assert code == EXIT_OK, err
    assert list(outcomes(out).values()) == ["ok"] * 10
    assert out.splitlines()[-1] == "10 of 10 attendees can log in with their hand-out"
    instance = prefixed(sim, "vfy")[0]
    assert {(e["event"], e["ok"]) for e in sim.bolt.log(instance.id)} == {("login", True)}

    handouts = sorted((home / "workshops" / "vfy" / "handouts").glob("vfy-*.txt"))
    first = handouts[0]
    text = first.read_text()
    first.write_text(re.sub(r"NEO4J_PASSWORD=(.*)", r"NEO4J_PASSWORD=\1x", text))
    code, out, _ = run("verify", "--prefix", "vfy")
    assert code == EXIT_INCOMPLETE
    assert sorted(outcomes(out).values()) == ["ok"] * 9 + ["wrong password"]
    assert "9 of 10 attendees" in out
    first.write_text(text)

    paused = next(i for i in prefixed(sim, "vfy") if i.id not in text)
    api = Api(sim)
    assert api.post(f"/v1/instances/{paused.id}/pause").status_code == 202
    code, out, _ = run("verify", "--prefix", "vfy")
    assert code == EXIT_INCOMPLETE
    assert sorted(outcomes(out).values()) == ["not running"] + ["ok"] * 9
    assert any(line.endswith(f"not running ({paused.id})") for line in out.splitlines())

    next(h for h in handouts if f"AURA_INSTANCEID={paused.id}" not in h.read_text()).unlink()
    code, out, _ = run("verify", "--prefix", "vfy")
    assert code == EXIT_INCOMPLETE
    assert sorted(outcomes(out).values()) == ["no hand-out", "not running"] + ["ok"] * 8
    for secret in sim.issued_secrets()["passwords"]:
        assert secret not in out
