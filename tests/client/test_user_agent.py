"""The User-Agent header names this package and its HTTP library with their real versions."""

from __future__ import annotations

import importlib.metadata
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from aura_nb.core.client import AuraClient


class _Recorder(BaseHTTPRequestHandler):
    """Answers the token request and ``GET /v1/tenants``, keeping each User-Agent it saw."""

    seen: list[str] = []

    def _answer(self, body: dict) -> None:
        self.seen.append(self.headers.get("User-Agent", ""))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer({"access_token": "ua-test-token", "expires_in": 3600,
                      "token_type": "bearer"})

    def do_GET(self) -> None:  # noqa: N802
        self._answer({"data": []})

    def log_message(self, *args) -> None:
        pass


def test_user_agent_names_the_installed_versions(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with AuraClient("ua-id", "ua-secret", url, vault_dir=tmp_path, rate_limit=0) as client:
            assert client.list_tenants() == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    expected = (f"aura_nb/{importlib.metadata.version('aura_nb')} "
                f"python-requests/{requests.__version__}")
    assert _Recorder.seen == [expected, expected]  # the token request and the API call
