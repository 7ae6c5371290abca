"""One call keeps its time budget (defect 7), and odd answers get one clear line (defect 9)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from aura_nb.core.client import AuraClient
from aura_nb.core.errors import ApiError, AuthenticationFailed, ServerError, TransportError

from tests.helpers.client import TOKEN_ROUTE, ScriptedServer

#: Generous slack for a loaded 2-core machine: the point is "budget, not budget x attempts".
MARGIN = 2.0


@pytest.fixture
def silent_server():
    """A loopback port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def timed(call):
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        call()
    return info.value, time.monotonic() - started


def test_a_server_that_never_answers_costs_one_budget_not_one_per_attempt(silent_server,
                                                                         tmp_path):
    client = AuraClient("id", "secret", silent_server, timeout=1.0, max_retries=4,
                        vault_dir=tmp_path)
    error, took = timed(client.list_tenants)
    assert "1 s budget (AURA_TIMEOUT, retries included)" in str(error)
    assert "\n" not in str(error)
    assert took < 1.0 + MARGIN  # the old client took about 5 attempts x 1 s plus backoff


def test_a_hanging_get_is_cut_at_the_budget_even_with_retries(tmp_path):
    with ScriptedServer({**TOKEN_ROUTE, "GET /v1/tenants": "hang"}) as server:
        client = AuraClient("id", "secret", server.base_url, timeout=30, max_retries=4,
                            vault_dir=tmp_path)
        with client.time_budget(0.8):
            error, took = timed(client.list_tenants)
    assert "0.8 s budget" in str(error) and "(GET /v1/tenants)" in str(error)
    assert took < 0.8 + MARGIN
    assert server.requests[0] == "POST /oauth/token"


def test_time_budget_applies_to_the_calling_thread_only(tmp_path):
    with ScriptedServer(dict(TOKEN_ROUTE)) as server:
        client = AuraClient("id", "secret", server.base_url, timeout=7, vault_dir=tmp_path)
        seen = {}
        with client.time_budget(2):
            seen["inside"] = client.transport.budget
            other = threading.Thread(target=lambda: seen.update(other=client.transport.budget))
            other.start()
            other.join()
        seen["after"] = client.transport.budget
    assert seen == {"inside": 2.0, "other": 7.0, "after": 7.0}


def test_an_invalid_host_fails_at_once_without_asking_a_resolver(monkeypatch, tmp_path):
    asked = []
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, *a, **k: asked.append(host) or real(host, *a, **k))
    client = AuraClient("id", "secret", "https://aura-nb-test.invalid", timeout=5,
                        vault_dir=tmp_path)
    error, took = timed(client.list_tenants)
    assert "could not resolve the host name aura-nb-test.invalid" in str(error)
    assert error.sent is False and asked == [] and took < 1.0


def test_a_slow_resolver_is_bounded_by_the_budget(monkeypatch, tmp_path):
    monkeypatch.setenv("AURA_ALLOW_HTTP", "1")  # plain http: no proxy, the client resolves
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):
        if host == "slow-dns.test":  # never handed to a real resolver
            time.sleep(5)
            raise socket.gaierror(-2, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    client = AuraClient("id", "secret", "http://slow-dns.test", timeout=0.5, vault_dir=tmp_path)
    error, took = timed(client.list_tenants)
    assert "could not resolve the host name slow-dns.test within this call's 0.5 s" in str(error)
    assert error.sent is False and took < 0.5 + MARGIN


@pytest.mark.parametrize("secret", ["geheim✓", "пароль", "secret\u200b"])
def test_a_secret_that_cannot_be_sent_is_one_clear_line(secret, tmp_path):
    with ScriptedServer(dict(TOKEN_ROUTE)) as server:
        client = AuraClient("id", secret, server.base_url, vault_dir=tmp_path)
        with pytest.raises(AuthenticationFailed) as info:
            client.list_tenants()
    text = str(info.value)
    assert "AURA_CLIENT_SECRET contains a character that cannot be sent" in text
    assert secret not in text and secret[-1] not in text and "\n" not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert server.requests == []


PAGE = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>" + \
    "<center>nginx</center>" * 40 + "</body></html>"


def test_a_proxy_error_page_is_named_in_one_line(tmp_path):
    routes = {**TOKEN_ROUTE, "GET /v1/tenants": (502, {"Content-Type": "text/html"}, PAGE)}
    with ScriptedServer(routes) as server:
        client = AuraClient("id", "secret", server.base_url, max_retries=1, vault_dir=tmp_path)
        with pytest.raises(ServerError) as info:
            client.list_tenants()
    text = str(info.value)
    assert "HTML error page (502 Bad Gateway)" in text and "proxy or gateway" in text
    assert "<" not in text and "nginx" not in text and "\n" not in text


@pytest.mark.parametrize("route, status", [
    ("POST /oauth/token", 200), ("POST /oauth/token", 401), ("GET /v1/tenants", 200),
])
def test_a_captive_portal_page_is_not_called_bad_credentials(route, status, tmp_path):
    portal = "<html><body><form>Accept the terms of the Hotel Wifi</form></body></html>"
    routes = {**TOKEN_ROUTE, route: (status, {"Content-Type": "text/html"}, portal)}
    with ScriptedServer(routes) as server:
        client = AuraClient("id", "secret", server.base_url, vault_dir=tmp_path)
        with pytest.raises(ApiError) as info:
            client.list_tenants()
    text = str(info.value)
    assert f"an HTML page ({status}" in text and "captive portal" in text
    assert "refused" not in text and "Wifi" not in text and "\n" not in text
    assert not isinstance(info.value, AuthenticationFailed)
