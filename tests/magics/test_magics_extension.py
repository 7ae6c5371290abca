"""Loading, unloading, help, parsing errors, completion and the connection commands of %aura."""

from __future__ import annotations

import contextlib
import re
import types

import pytest
from IPython.core.completer import provisionalcompleter

from aura_nb.magics import AuraMagics, ConnectionInfo, HttpLog


def complete(shell, text: str) -> list[str]:
    """What the kernel's completer offers with the cursor at the end of ``text``."""
    with provisionalcompleter():
        return [c.text for c in shell.Completer.completions(text, len(text))]


def aura_matchers(shell) -> list:
    return [m for m in shell.Completer.custom_matchers
            if isinstance(getattr(m, "__self__", None), AuraMagics)]


def test_load_says_in_one_line_which_api_it_talks_to(aura, aura_sim):
    lines = aura.loaded.out.strip().splitlines()
    assert len(lines) == 1
    assert "Simulator mode" in lines[0] and aura_sim.base_url in lines[0]
    assert "%aura help" in lines[0]


def test_unload_removes_the_magic_and_its_completer(aura, shell):
    assert "aura" in shell.magics_manager.magics["line"]
    assert len(aura_matchers(shell)) == 1
    aura.ok("%unload_ext aura_nb")
    assert "aura" not in shell.magics_manager.magics["line"]
    assert "AuraMagics" not in shell.magics_manager.registry
    assert aura_matchers(shell) == []
    assert "instances" not in complete(shell, "%aura ins")
    assert "not found" in aura.run("%aura help").err
    aura.ok("%load_ext aura_nb")  # and it comes back once, not twice
    assert len(aura_matchers(shell)) == 1
    assert aura.ok("%aura tenants")


def test_loading_twice_keeps_one_magic_and_one_completer(aura, shell):
    from aura_nb.magics import load_ipython_extension

    load_ipython_extension(shell)
    assert len(aura_matchers(shell)) == 1
    assert complete(shell, "%aura tenan") == ["tenant", "tenants"]


def test_a_configuration_problem_at_load_is_one_line_and_connect_retries(
        aura, shell, monkeypatch, aura_sim):
    aura.ok("%unload_ext aura_nb")
    monkeypatch.setenv("AURA_BASE_URL", "ftp://example.invalid")
    outcome = aura.run("%load_ext aura_nb")
    assert outcome.error is None
    assert outcome.out.count("\n") == 1 and "ConfigurationError" in outcome.out
    assert "%aura connect" in outcome.out
    assert "ConfigurationError" in aura.fails("%aura tenants")
    monkeypatch.setenv("AURA_BASE_URL", aura_sim.base_url)
    client = aura.ok("%aura connect")
    assert client.base_url == aura_sim.base_url
    assert len(aura.ok("%aura tenants")) == 3


def test_help_lists_every_subcommand(aura):
    outcome = aura.run("%aura help")
    assert outcome.error is None and outcome.value is None
    listed = re.findall(r"^  (\w+)\s", outcome.out, flags=re.M)
    assert listed == ["help", "connect", "whoami", "tenants", "tenant", "instances", "instance",
                      "create", "wait", "pause", "resume", "delete", "snapshots", "snapshot",
                      "http"]
    assert aura.run("%aura").out == outcome.out  # no sub-command: the same list


def test_help_for_one_subcommand_shows_its_options(aura):
    outcome = aura.run("%aura help create")
    assert outcome.error is None
    for flag in ("--type", "--cloud", "--region", "--memory", "--version", "--tenant"):
        assert flag in outcome.out
    assert aura.run("%aura create --help").out == outcome.out
    assert "unknown sub-command 'nope'" in aura.fails("%aura help nope")


def test_unknown_subcommand_is_one_line_with_a_suggestion(aura):
    line = aura.fails("%aura instnces")
    assert "unknown sub-command 'instnces'" in line and "did you mean 'instances'" in line
    assert "%aura help" in aura.fails("%aura frobnicate")


@pytest.mark.parametrize("line, expected", [
    ("%aura instance", "the following arguments are required: ID_OR_NAME"),
    ("%aura create", "the following arguments are required: NAME"),
    ("%aura tenant", "the following arguments are required: NAME_OR_ID"),
    ("%aura instances --bogus", "unrecognized arguments: --bogus"),
    ("%aura wait x --timeout soon", "invalid float value: 'soon'"),
    ("%aura http -n many", "invalid int value: 'many'"),
    ('%aura instance "unclosed', "close the quotes"),
])
def test_bad_arguments_are_one_line(aura, line, expected):
    assert expected in aura.fails(line)


def test_whoami_reports_mode_url_token_expiry_and_requests(aura, aura_sim):
    fresh = aura.ok("%aura whoami")
    assert isinstance(fresh, ConnectionInfo)
    assert (fresh.mode, fresh.base_url) == ("simulator", aura_sim.base_url)
    assert fresh.token == "not fetched yet" and fresh.requests == 0
    aura.ok("%aura tenants")
    info = aura.ok("%aura whoami")
    # The lifetime is 3600 server seconds; at 1000x that is 3.6 real seconds.
    # (the simulator rounds expires_in up to whole real seconds, hence the loose server figure)
    found = re.fullmatch(r"expires in [34] s \((?:(\d+) min \d\d s|1 h (\d\d) min) in server "
                         r"time at 1000x\)", info.token)
    assert found, info.token
    minutes = int(found.group(1)) if found.group(1) else 60 + int(found.group(2))
    assert 55 <= minutes <= 70, info.token
    assert info.tenant == "Learning Project"
    stats = aura_sim.stats_snapshot()
    assert info.requests == sum(stats["requests"].values()) == 2  # the token, then the list
    assert info.token_requests == stats["tokens_issued"] == 1
    assert "in server time at 1000x" in info._repr_html_()


def test_whoami_reads_only_the_clients_public_properties(shell):
    # A front-end of the core: whoami must work from the documented read-only properties alone
    # (no _tokens, no pacer), with whatever the client reports.
    public = types.SimpleNamespace(mode="real", base_url="https://api.neo4j.io",
                                   default_tenant="T", speed=1.0, token_expires_in=1500.0,
                                   request_count=7, token_requests=1,
                                   time_budget=lambda seconds: contextlib.nullcontext())
    info = AuraMagics(shell, client=public).aura("whoami")
    assert (info.token, info.requests, info.token_requests) == ("expires in 25 min 00 s", 7, 1)
    public.token_expires_in = None
    assert AuraMagics(shell, client=public).aura("whoami").token == "not fetched yet"


def test_connect_starts_a_fresh_client(aura, aura_sim):
    first = aura.ok("%aura tenants") and aura.ok("%aura whoami")
    assert first.requests == 2
    outcome = aura.run("%aura connect")
    assert aura_sim.base_url in outcome.out
    assert aura.ok("%aura whoami").requests == 0


def test_http_shows_redacted_exchanges_and_curl(aura):
    aura.ok("%aura create solo --type free-db")
    log = aura.ok("%aura http -n 2")
    assert isinstance(log, HttpLog) and len(log) == 2
    text = str(log)
    assert "POST " in text and "/v1/instances -> 202" in text
    assert '"password": "<redacted>"' in text
    assert text.count("curl -X ") == 2
    assert '"Authorization: Bearer $AURA_TOKEN"' in text
    assert "<pre>" in log._repr_html_()
    everything = aura.ok("%aura http -n 50")
    assert everything[0].is_token_request  # the whole history, oldest (the token) first
    assert "-u \"$AURA_CLIENT_ID:$AURA_CLIENT_SECRET\"" in str(everything)
    assert "-n must be 1 or more" in aura.fails("%aura http -n 0")


def test_completion_offers_subcommands_options_and_known_names(aura, shell):
    assert complete(shell, "%aura ins") == ["instance", "instances"]
    assert complete(shell, "x = %aura del") == ["delete"]
    assert complete(shell, "%aura help sn") == ["snapshot", "snapshots"]
    assert complete(shell, "%aura wait db --st") == ["--status"]
    assert complete(shell, "%aura wait db --status ") == ["deleted", "paused", "running"]
    assert "--yes" in complete(shell, "%aura delete db --")
    aura.ok("%aura create 'my db' --type free-db")
    created = aura.ok("%aura instances")[0]
    assert complete(shell, "%aura instance ") == ["'my db'", created.id]
    assert complete(shell, "%aura pause 'my") == ["'my db'"]
    assert complete(shell, "%aura tenant W") == []  # tenants not listed yet: nothing known
    aura.ok("%aura tenants")
    assert complete(shell, "%aura tenant W") == ["'Workshop Project'"]
    assert "'Learning Project'" in complete(shell, "%aura instances --tenant ")


def test_completion_sends_no_request(aura, shell, aura_sim):
    aura.ok("%aura tenants")
    before = aura_sim.stats_snapshot()["requests"]
    for text in ("%aura ", "%aura instance ", "%aura tenant ", "%aura instances --tenant L"):
        complete(shell, text)
    assert aura_sim.stats_snapshot()["requests"] == before
