"""aura_nb.connect(): real credentials, a configured local simulator, or an embedded one."""

from __future__ import annotations

import logging
import socket

import pytest
import requests

import aura_nb
from aura_nb.core.errors import ConfigurationError, CredentialsUnavailable


def test_nothing_configured_starts_one_embedded_simulator(clean_env):
    client = aura_nb.connect()
    assert client.mode == "simulator" and client.credentials.source == "simulator default"
    assert client.describe() == (f"Simulator mode: local Aura API simulator at {client.base_url} "
                                 "(no real credentials configured).")
    assert client.base_url.startswith("http://127.0.0.1:")
    assert [t.name for t in client.list_tenants()][0] == "Learning Project"
    again = aura_nb.connect(rate_limit=0)
    assert again.base_url == client.base_url and again.pacer.rate == 0
    assert client.speed == aura_nb.session.embedded_simulator().clock.speed


def test_real_credentials_give_real_mode_without_sending_anything(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_CLIENT_ID", "abcd1234efgh")
    monkeypatch.setenv("AURA_CLIENT_SECRET", "real-secret-do-not-show")
    client = aura_nb.connect()
    assert client.mode == "real" and client.speed == 1.0
    assert client.credentials.source == "environment"
    assert client.describe() == ("Real mode: https://api.neo4j.io as client abcd1234efgh "
                                 "(credentials from the environment)")
    assert "real-secret-do-not-show" not in repr(client) + client.describe()
    assert len(client.history) == 0 and client.token_requests == 0


def test_dotenv_credentials_are_used_and_reported_as_such(clean_env):
    (clean_env / ".env").write_text("AURA_API_CLIENT_ID=from-dotenv\nAURA_API_CLIENT_SECRET=x\n")
    client = aura_nb.connect()
    assert client.client_id == "from-dotenv" and client.credentials.source == ".env"
    assert client.describe().endswith("as client from-dotenv (credentials from .env)")


def test_credentials_source_says_where_each_value_came_from(clean_env, monkeypatch):
    (clean_env / ".env").write_text("AURA_CLIENT_SECRET=from-file\n")
    monkeypatch.setenv("AURA_CLIENT_ID", "env-id-1234")
    assert aura_nb.connect().credentials.source == ".env+environment"
    given = aura_nb.connect(client_id="arg-id", client_secret="arg-secret")
    assert given.credentials.source == "argument"
    assert given.describe().endswith("(credentials from arguments)")
    resolved = aura_nb.resolve_credentials()
    assert aura_nb.connect(credentials=resolved).credentials.source == ".env+environment"
    assert aura_nb.AuraClient(credentials=resolved).credentials.source == ".env+environment"
    with pytest.raises(ValueError, match="either credentials or"):
        aura_nb.AuraClient("other-id", credentials=resolved)
    with pytest.raises(ValueError, match="either credentials or"):
        aura_nb.connect(client_id="other-id", credentials=resolved)
    mixed = aura_nb.AuraClient(credentials=resolved)
    assert mixed.describe().endswith("(credentials from .env and the environment)")
    text = " ".join(repr(c) + c.describe() for c in (given, mixed))
    assert "from-file" not in text and "arg-secret" not in text


def test_half_configured_credentials_are_reported_not_replaced(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_CLIENT_ID", "only-the-id")
    with pytest.raises(CredentialsUnavailable, match="AURA_CLIENT_SECRET"):
        aura_nb.connect()
    with pytest.raises(CredentialsUnavailable, match="AURA_CLIENT_SECRET"):
        aura_nb.AuraClient(client_id="explicit-id")


def test_configured_local_simulator_reports_its_speed(clean_env, monkeypatch, make_simulator):
    sim = make_simulator(speed=37)
    monkeypatch.setenv("AURA_BASE_URL", sim.base_url)
    monkeypatch.setenv("AURA_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", sim.client_secret)
    client = aura_nb.connect(vault_dir=clean_env / "vault")
    assert client.speed == 37 and client.pacer.window == pytest.approx(60 / 37)
    assert client.credentials.source == "environment"
    assert client.describe() == f"Simulator mode: local Aura API simulator at {sim.base_url} " \
                                "as client simulator-client"


def test_public_api_lists_what_other_modules_call():
    for name in ("connect", "AuraClient", "InstanceSpec", "allowed_choices", "CreatedInstance",
                 "Vault", "WaitProgress", "CreateResponseLost", "AmbiguousName",
                 "load_ipython_extension", "unload_ipython_extension"):
        assert name in aura_nb.__all__ and hasattr(aura_nb, name)


def test_local_simulator_url_without_credentials_uses_its_default_client(clean_env, monkeypatch,
                                                                         make_simulator):
    sim = make_simulator(speed=20)
    monkeypatch.setenv("AURA_BASE_URL", sim.base_url + "/")
    client = aura_nb.connect(vault_dir=clean_env / "vault")
    assert client.base_url == sim.base_url and client.speed == 20
    assert client.credentials.source == "simulator default"
    assert "default client" in client.describe()
    assert client.list_tenants()


def _non_loopback_name_for(sim) -> str:
    """A host name that reaches ``sim`` on this machine yet is not a loopback literal (so the
    client treats it like a room simulator's address); the test is skipped when none works."""
    port = sim.base_url.rsplit(":", 1)[1]
    for host in (socket.gethostname(), "0.0.0.0"):
        try:
            requests.get(f"http://{host}:{port}/_simulator/health", timeout=2,
                         headers={"X-Simulator-Admin-Token": sim.admin_token}).raise_for_status()
        except requests.RequestException:
            continue
        return f"http://{host}:{port}"
    pytest.skip("no non-loopback name reaches a local server on this machine")


def test_room_simulator_over_plain_http_needs_the_opt_in(clean_env, monkeypatch, make_simulator,
                                                         caplog):
    sim = make_simulator(speed=20, public_hosts=[socket.gethostname(), "0.0.0.0"])
    url = _non_loopback_name_for(sim)
    monkeypatch.setenv("AURA_SIMULATOR_SPEED", "20")  # a room simulator's admin surface is local
    monkeypatch.setenv("AURA_BASE_URL", url)
    monkeypatch.setenv("AURA_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", sim.client_secret)
    with pytest.raises(ConfigurationError) as info:
        aura_nb.connect(vault_dir=clean_env / "vault")
    assert "uses plain http" in str(info.value) and "AURA_ALLOW_HTTP=1" in str(info.value)
    monkeypatch.setenv("AURA_ALLOW_HTTP", "1")
    with caplog.at_level(logging.WARNING, logger="aura_nb"):
        client = aura_nb.connect(vault_dir=clean_env / "vault")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "AURA_ALLOW_HTTP" in warnings[0].getMessage()
    assert client.mode == "simulator" and client.speed == 20
    assert client.describe() == (f"Simulator mode: shared Aura API simulator at {url} over plain "
                                 "http (AURA_ALLOW_HTTP) as client simulator-client")
    assert [t.name for t in client.list_tenants()][0] == "Learning Project"
    text = client.describe() + repr(client) + caplog.text
    assert sim.client_secret not in text


def test_room_simulator_url_without_credentials_is_not_replaced(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_BASE_URL", "http://192.0.2.10:8787")
    with pytest.raises(ConfigurationError, match="AURA_ALLOW_HTTP=1"):
        aura_nb.connect()  # an embedded simulator would hide the mistyped setting
    monkeypatch.setenv("AURA_ALLOW_HTTP", "1")
    client = aura_nb.connect(speed=5)  # nothing is sent before the first call
    assert client.base_url == "http://192.0.2.10:8787"
    assert client.credentials.source == "simulator default" and client.mode == "simulator"


def test_real_mode_treats_a_loopback_simulator_as_a_real_account(clean_env, monkeypatch,
                                                                  make_simulator):
    sim = make_simulator(speed=20)
    monkeypatch.setenv("AURA_NB_MODE", "real")
    monkeypatch.setenv("AURA_BASE_URL", sim.base_url)
    monkeypatch.setenv("AURA_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("AURA_CLIENT_SECRET", sim.client_secret)
    client = aura_nb.connect()
    assert client.mode == "real" and client.speed == 1.0
    assert client.describe() == (f"Real mode: {sim.base_url} as client {sim.client_id} "
                                 "(credentials from the environment)")
    assert [t.name for t in client.list_tenants()][0] == "Learning Project"
    asked = sim.stats_snapshot()["requests"]
    assert not any("_simulator" in route for route in asked), asked  # no admin surface used


def test_real_mode_never_starts_a_simulator_by_itself(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_NB_MODE", "real")
    monkeypatch.setattr(aura_nb.session, "embedded_simulator",
                        lambda: pytest.fail("real mode started a simulator"))
    with pytest.raises(CredentialsUnavailable, match="AURA_NB_MODE=real needs"):
        aura_nb.connect()


def test_an_unknown_mode_is_a_configuration_error(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_NB_MODE", "pretend")
    with pytest.raises(ConfigurationError, match="AURA_NB_MODE must be auto or real"):
        aura_nb.connect(client_id="x", client_secret="y")


def test_the_embedded_simulator_plays_the_configured_account_kind(clean_env, monkeypatch):
    aura_nb.session.stop_embedded_simulator()  # the next one starts with this test's settings
    monkeypatch.setenv("AURA_SIMULATOR_ACCOUNT", "Free")
    client = aura_nb.connect()
    try:
        assert [t.name for t in client.list_tenants()] == ["Free Project"]
    finally:
        aura_nb.session.stop_embedded_simulator()


def test_an_unknown_account_kind_is_one_line(clean_env, monkeypatch):
    aura_nb.session.stop_embedded_simulator()
    monkeypatch.setenv("AURA_SIMULATOR_ACCOUNT", "platinum")
    with pytest.raises(ConfigurationError, match="AURA_SIMULATOR_ACCOUNT='platinum'.*free, "):
        aura_nb.connect()
