"""The Bolt endpoint below the driver: PackStream, the version handshake, Bolt 5.0's login in
HELLO, failure handling, and the loopback-only CA."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from cryptography import x509

from aura_nb.simulator.bolt.packstream import PackStreamError, Structure, Unpacker, pack
from aura_nb.simulator.bolt.wire import MAGIC, negotiate, read_message, write_message


@pytest.mark.parametrize("value", [
    None, True, False, 0, -16, 127, -17, 128, -129, 40000, -(2 ** 31), 2 ** 40, -(2 ** 63),
    1.5, "", "é" * 20, "x" * 300, "y" * 70000, b"\x00\x01", list(range(20)), {"a": [1, {"b": None}]},
    {f"k{i}": i for i in range(300)}, Structure(0x70, [{"fields": ["n"]}]),
])
def test_packstream_round_trips(value):
    assert Unpacker(pack(value)).unpack() == value


def test_packstream_refuses_truncated_and_unknown_input():
    with pytest.raises(PackStreamError):
        Unpacker(pack("hello")[:-1]).unpack()
    with pytest.raises(PackStreamError):
        Unpacker(b"\xC7").unpack()
    with pytest.raises(PackStreamError):
        pack(2 ** 64)


def test_handshake_picks_the_highest_shared_5x_and_skips_the_manifest():
    current = bytes.fromhex("000001ff 00080805 00020404 00000003".replace(" ", ""))
    assert negotiate(current) == (5, 8)
    assert negotiate(bytes.fromhex("00000005" + "00000000" * 3)) == (5, 0)
    assert negotiate(bytes.fromhex("00040805" + "00000000" * 3)) == (5, 8)
    assert negotiate(bytes.fromhex("00020404 00000003 00000000 00000000".replace(" ", ""))) is None


@pytest.fixture
def raw_bolt(manual_sim, tmp_path):
    """``open(version_bytes)``: a TLS socket to the Bolt endpoint after the version handshake;
    returns ``(socket, answer)``."""
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(manual_sim.bolt.ca_pem)
    context = ssl.create_default_context(cafile=str(ca_file))
    opened = []

    def open_(proposal: bytes):
        raw = socket.create_connection(("127.0.0.1", manual_sim.bolt.port), timeout=5)
        sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        opened.append(sock)
        sock.sendall(MAGIC + proposal + b"\x00" * (16 - len(proposal)))
        return sock, sock.recv(4)

    yield open_
    for sock in opened:
        sock.close()


def _host(created: dict) -> str:
    return created["connection_url"].split("://")[1] + ":7687"


def test_bolt_50_logs_in_with_hello(api, raw_bolt):
    created = api.running(name="raw-50")
    sock, answer = raw_bolt(bytes.fromhex("00000005"))
    assert answer == bytes.fromhex("00000005")
    write_message(sock, 0x01, {"user_agent": "raw/1", "routing": {"address": _host(created)},
                               "scheme": "basic", "principal": "neo4j",
                               "credentials": created["password"]})
    assert read_message(sock).tag == 0x70
    write_message(sock, 0x10, "RETURN 42 AS answer", {}, {})
    assert read_message(sock).fields == [{"fields": ["answer"], "t_first": 0}]
    write_message(sock, 0x3F, {"n": -1})
    assert read_message(sock) == Structure(0x71, [[42]])
    assert read_message(sock).tag == 0x70


def test_bolt_50_failure_has_the_old_code_field_and_closes_on_a_wrong_password(api, raw_bolt):
    created = api.running(name="raw-50-bad")
    sock, _ = raw_bolt(bytes.fromhex("00000005"))
    write_message(sock, 0x01, {"routing": {"address": _host(created)}, "scheme": "basic",
                               "principal": "neo4j", "credentials": "wrong"})
    assert read_message(sock).tag == 0x70               # HELLO's SUCCESS, then the login fails
    failure = read_message(sock)
    assert failure.tag == 0x7F
    assert failure.fields[0] == {"code": "Neo.ClientError.Security.Unauthorized",
                                 "message": "The client is unauthorized due to authentication "
                                            "failure."}
    assert sock.recv(1) == b""                          # and the connection is closed


def test_a_client_offering_no_5x_gets_zero_and_is_closed(raw_bolt):
    sock, answer = raw_bolt(bytes.fromhex("00020404"))
    assert answer == b"\x00\x00\x00\x00"
    assert sock.recv(1) == b""


def test_after_a_failure_messages_are_ignored_until_reset(api, raw_bolt):
    created = api.running(name="raw-ignored")
    sock, answer = raw_bolt(bytes.fromhex("00080805"))
    assert answer == bytes.fromhex("00000805")
    write_message(sock, 0x01, {"routing": {"address": _host(created)}})
    write_message(sock, 0x6A, {"scheme": "basic", "principal": "neo4j",
                               "credentials": created["password"]})
    assert [read_message(sock).tag for _ in range(2)] == [0x70, 0x70]
    write_message(sock, 0x10, "MATCH (n) RETURN n", {}, {})
    failure = read_message(sock).fields[0]
    assert failure["neo4j_code"] == "Neo.ClientError.Statement.SyntaxError"
    assert failure["gql_status"] == "42001"
    write_message(sock, 0x3F, {"n": -1})
    assert read_message(sock).tag == 0x7E              # IGNORED
    write_message(sock, 0x0F)
    assert read_message(sock).tag == 0x70
    write_message(sock, 0x10, "RETURN 1", {}, {})
    assert read_message(sock).tag == 0x70


def test_hello_without_the_instance_name_is_refused_with_a_hint(raw_bolt):
    sock, _ = raw_bolt(bytes.fromhex("00080805"))
    write_message(sock, 0x01, {"user_agent": "bolt-direct"})
    failure = read_message(sock).fields[0]
    assert failure["neo4j_code"] == "Neo.ClientError.Request.Invalid"
    assert "connection_url" in failure["message"]


def test_chunks_longer_than_64k_are_joined(api, raw_bolt):
    created = api.running(name="raw-long")
    sock, _ = raw_bolt(bytes.fromhex("00080805"))
    write_message(sock, 0x01, {"routing": {"address": _host(created)}})
    write_message(sock, 0x6A, {"scheme": "basic", "principal": "neo4j",
                               "credentials": created["password"]})
    read_message(sock), read_message(sock)
    long_text = "z" * 100_000
    write_message(sock, 0x10, "RETURN $t AS t", {"t": long_text}, {})
    read_message(sock)
    write_message(sock, 0x3F, {"n": -1})
    assert read_message(sock).fields == [[long_text]]


def test_the_simulator_ca_vouches_for_loopback_names_only(manual_sim, tmp_path):
    """A certificate the simulator's CA signed for a real host name does not verify: trusting
    that CA changes nothing for real hosts."""
    ca = manual_sim.bolt.certificates._ca
    cert = x509.load_pem_x509_certificate(manual_sim.bolt.ca_pem.encode())
    assert cert.extensions.get_extension_for_class(x509.NameConstraints).critical
    forged = ca.issue_cert("api.neo4j.io", "x.databases.neo4j.io")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    forged.configure_cert(server)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        try:
            server.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ssl.create_default_context(cadata=manual_sim.bolt.ca_pem)
    with pytest.raises(ssl.SSLCertVerificationError, match="subtree|constraint|permitted"):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            client.wrap_socket(raw, server_hostname="api.neo4j.io")
    thread.join(5)
    listener.close()
