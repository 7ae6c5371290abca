"""Boundaries for the client tests: a scripted loopback server."""

from __future__ import annotations


class ScriptedServer:
    """A tiny loopback HTTP server for boundary tests: each ``"METHOD /path"`` answers what
    ``routes`` says, a ``(status, headers, body)`` tuple (body: bytes, str, or JSON-able), or
    ``"hang"``: read the request and never answer. Unknown routes answer 404. ``requests`` lists the ``"METHOD /path"`` seen. Use as a
    context manager; ``base_url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, routes: dict) -> None:
        import http.server
        import json
        import threading

        self.routes = routes
        self.requests: list[str] = []
        self.hung = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                key = f"{self.command} {self.path.split('?')[0]}"
                server.requests.append(key)
                route = server.routes.get(key, (404, {}, {"errors": []}))
                if route == "hang":
                    server.hung.wait(30)
                    return
                status, headers, body = route
                if not isinstance(body, (bytes, str)):
                    body = json.dumps(body)
                    headers = {"Content-Type": "application/json", **headers}
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, *args) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hung.set()
        self._httpd.shutdown()
        self._httpd.server_close()


#: What a scripted server answers to the token request.
TOKEN_ROUTE = {"POST /oauth/token": (200, {}, {"access_token": "scripted-token",
                                              "expires_in": 3600, "token_type": "bearer"})}
