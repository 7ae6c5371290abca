"""Bad input never gets a 500 or a hung connection: the documented 4xx with an error body."""

import re
import socket
import struct
import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from tests.helpers.simulator import admin, error_of


REQUEST_ID = re.compile(r"[0-9a-f]{32}/\d+")


def raw_exchange(manual_sim, data: bytes, timeout=5) -> bytes:
    """Send raw bytes on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", manual_sim.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_every_response_has_request_id_json_type_and_virtual_date(api, manual_sim):
    manual_sim.advance(86400 * 3)
    api.renew()
    responses = [api.get("/v1/tenants"), api.get("/v1/instances/deadbeef"), api.get("/v1/nope"),
                 requests.get(f"{manual_sim.base_url}/v1/tenants"),
                 requests.post(f"{manual_sim.base_url}/oauth/token", auth=("x", "y"))]
    for r in responses:
        assert REQUEST_ID.fullmatch(r.headers["X-Request-Id"]), r.headers
        assert r.headers["Content-Type"] == "application/json"
        assert int(r.headers["Content-Length"]) == len(r.content)
        date = parsedate_to_datetime(r.headers["Date"])
        assert abs(date.timestamp() - manual_sim.clock.now()) < 5
    assert len({r.headers["X-Request-Id"] for r in responses}) == len(responses)


def test_post_and_patch_without_json_content_type_get_415(api):
    iid = api.running()["id"]
    calls = [lambda: api.session.post(f"{api.base}/v1/instances/{iid}/pause"),
             lambda: api.session.post(f"{api.base}/v1/instances", data="{}"),
             lambda: api.session.post(f"{api.base}/v1/instances", data="{}",
                                      headers={"Content-Type": "text/plain"}),
             lambda: api.session.patch(f"{api.base}/v1/instances/{iid}", data='{"name":"x"}')]
    for call in calls:
        r = call()
        assert r.status_code == 415
        assert "Content-Type: application/json" in error_of(r)["message"]
    assert api.status(iid) == "running"                   # nothing happened
    r = api.session.post(f"{api.base}/v1/instances/{iid}/pause",
                         headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 202                           # body-less but typed: fine


@pytest.mark.parametrize("body", [b"{", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"])
def test_malformed_or_non_object_json_gets_400(api, body):
    r = api.session.post(f"{api.base}/v1/instances", data=body,
                         headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert error_of(r)["message"].startswith("The request body")


def test_unknown_paths_get_404_and_wrong_methods_405(api, manual_sim):
    for path in ["/v1/nope", "/v1/instances/abc/nope", "/v2/instances", "/", "/oauth/tokens"]:
        r = api.get(path)
        assert r.status_code == 404, path
        assert path in error_of(r)["message"]
    r = api.session.put(f"{api.base}/v1/instances")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, POST"
    error_of(r)
    assert api.get("/v1/instances/sizing").status_code == 405
    assert api.delete("/v1/tenants").status_code == 405
    assert requests.get(f"{manual_sim.base_url}/oauth/token").status_code == 405
    head = api.session.head(f"{api.base}/v1/tenants")
    assert head.status_code == 405 and head.content == b""


def test_huge_body_gets_413_and_the_connection_is_closed_cleanly(api):
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    try:
        r = api.session.post(f"{api.base}/v1/instances", data=big,
                             headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert error_of(r)["reason"] == "payload-too-large"
    except requests.ConnectionError:
        pass        # the server may close before the client finishes sending: also no hang
    assert api.get("/v1/tenants").status_code == 200     # the session recovers
    assert api.get("/v1/instances").json()["data"] == []


def test_keep_alive_survives_error_answers(api):
    """Errors with a body left unread would desynchronise the connection; they must not."""
    body = b'{"name": ' + b"1" * 5000 + b"}"
    with socket.create_connection(("127.0.0.1", api.sim.port), timeout=5) as sock:
        f = sock.makefile("rb")
        for path, payload in [("/v1/instances", body), ("/v1/nope", body),
                              ("/v1/tenants", b"")]:
            sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:"
                         + str(api.sim.port).encode() + b"\r\n"
                         b"Content-Type: text/plain\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            status = f.readline()
            length = None
            while (line := f.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert status.split()[1] in (b"401", b"404", b"405")
            assert f.read(length).startswith(b"{")
        f.close()


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET /v1/tenants HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /v1/instances HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST /v1/instances HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"FROB /v1/tenants HTTP/1.1\r\nConnection: close\r\n\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
])
def test_broken_requests_get_a_4xx_json_answer(manual_sim, raw):
    answer = raw_exchange(manual_sim, raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert 400 <= status < 500, answer[:200]
    assert body.startswith(b'{"error')


def test_truncated_body_does_not_hang_the_server(manual_sim):
    with socket.create_connection(("127.0.0.1", manual_sim.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/instances HTTP/1.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"na")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""        # closed without an answer
    assert admin(manual_sim, "GET", "health").status_code == 200


def test_wrong_types_in_query_and_path_are_not_500(api):
    assert api.get("/v1/instances/%00%ff").status_code == 404
    assert api.get("/v1/tenants/..%2F..").status_code == 404
    assert api.get("/v1/instances", params={"tenantId": ["a", "b"]}).status_code == 404


def test_a_client_hanging_up_mid_request_prints_nothing(manual_sim, capfd):
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", manual_sim.port))
        sock.sendall(b"GET /v1/tenants HTTP/1.1\r\nHost: x\r\n")     # headers never finished
        time.sleep(0.02)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()                                                  # connection reset
    assert admin(manual_sim, "GET", "health").status_code == 200
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
