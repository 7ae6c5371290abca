"""The mode ("simulator" or "real") has one reading, `aura_nb.core.credentials.mode_for`: the
client, the transport, `aura_nb.connect` and the credentials form all ask it (#21)."""

from __future__ import annotations

import http.server
import threading

import pytest

from aura_nb.core.client import AuraClient
from aura_nb.core.credentials import ClientCredentials, mode_for
from aura_nb.core.errors import AuthenticationFailed


@pytest.mark.parametrize("url, nb_mode, expected", [
    ("http://127.0.0.1:8080", None, "simulator"),
    ("http://sim.example:8080", None, "simulator"),  # plain http: never the real API
    ("https://api.neo4j.io", None, "real"),
    ("http://127.0.0.1:8080", "real", "real"),
    ("https://api.neo4j.io", "auto", "real"),
])
def test_mode_for_reads_the_url_and_aura_nb_mode(clean_env, monkeypatch, url, nb_mode, expected):
    if nb_mode is not None:
        monkeypatch.setenv("AURA_NB_MODE", nb_mode)
    assert mode_for(url) == expected
    assert ClientCredentials("id", "secret", url).mode == expected


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A forward proxy that records each request line and refuses every request with 401."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen.append(self.requestline)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"error": "invalid_client", "error_description": "refused by the test proxy"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_transport_goes_through_the_proxy_when_aura_nb_mode_makes_a_loopback_api_real(
        clean_env, monkeypatch):
    """Real mode trusts the environment's proxy settings. ``AURA_NB_MODE=real`` makes a loopback
    API real for the client, so its transport must trust them too: before #21 the transport read
    the URL alone and went around the proxy while the client said "Real mode"."""
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    _Proxy.seen = []
    try:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY",
                     "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server_port}")
        monkeypatch.setenv("AURA_NB_MODE", "real")
        api = "http://127.0.0.1:9"  # discard port: nothing answers there directly
        client = AuraClient("test-client", "test-secret", api, max_retries=0)
        try:
            assert client.mode == "real"
            with pytest.raises(AuthenticationFailed, match="refused by the test proxy"):
                client.transport.tokens.get()
        finally:
            client.close()
        assert _Proxy.seen == [f"POST {api}/oauth/token HTTP/1.1"]
    finally:
        proxy.shutdown()
        proxy.server_close()
