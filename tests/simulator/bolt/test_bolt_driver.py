"""The current neo4j driver against simulator instances, through `aura_nb.driver_options`: the
same code as on Aura (the instance's own ``neo4j+s://`` URL and the create's password)."""

from __future__ import annotations

import logging
import socket

import neo4j
import pytest
import requests
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

import aura_nb
from aura_nb.simulator.bolt import BoltServer
from aura_nb.simulator.bolt.cypher import UNSUPPORTED


def test_driver_connects_with_the_instance_url_and_password(api, connect):
    created = api.running(name="bolt-db")
    driver = connect(created["connection_url"], created["password"])
    driver.verify_connectivity()
    assert driver.execute_query("RETURN 1").records[0].values() == [1]
    record = driver.execute_query("RETURN 'x' AS s, [1, 2.5] AS l, {a: true, b: null} AS m")[0][0]
    assert record.data() == {"s": "x", "l": [1, 2.5], "m": {"a": True, "b": None}}
    components = driver.execute_query("CALL dbms.components()").records[0]
    assert components["name"] == "Neo4j Kernel"
    assert components["versions"][0].startswith("5.") and components["edition"] == "enterprise"
    databases = driver.execute_query("SHOW DATABASES").records
    assert [(r["name"], r["default"]) for r in databases] == [("neo4j", True), ("system", False)]


def test_explicit_transactions_and_sessions_work(api, connect):
    created = api.running(name="bolt-tx")
    driver = connect(created["connection_url"], created["password"])
    with driver.session() as session:
        with session.begin_transaction() as tx:
            assert tx.run("RETURN $n AS n", n=7).single()["n"] == 7
            tx.commit()
        with session.begin_transaction() as tx:
            assert tx.run("RETURN 2").single()[0] == 2
            tx.rollback()
        assert session.run("RETURN 3").single()[0] == 3


def test_an_unsupported_statement_gets_one_clear_failure_and_the_connection_recovers(api, connect):
    created = api.running(name="bolt-unsupported")
    driver = connect(created["connection_url"], created["password"])
    with pytest.raises(Neo4jError) as raised:
        driver.execute_query("MATCH (n) RETURN count(n)")
    assert raised.value.message == UNSUPPORTED and "\n" not in UNSUPPORTED
    assert "full Cypher" in UNSUPPORTED
    assert driver.execute_query("RETURN 1").records[0][0] == 1


def test_a_wrong_password_is_an_auth_error_with_the_codes_drivers_read(api, connect):
    created = api.running(name="bolt-auth")
    driver = connect(created["connection_url"], created["password"] + "x")
    with pytest.raises(AuthError) as raised:
        driver.verify_connectivity()
    assert raised.value.code == "Neo.ClientError.Security.Unauthorized"
    assert raised.value.gql_status == "42NFF"
    wrong_user = connect(created["connection_url"], created["password"], user="admin")
    with pytest.raises(AuthError):
        wrong_user.verify_connectivity()


def test_paused_instance_refuses_and_a_resumed_one_connects_again(api, connect, manual_sim):
    created = api.running(name="bolt-pause")
    assert api.post(f"/v1/instances/{created['id']}/pause").status_code == 202
    with pytest.raises(ServiceUnavailable):            # pausing
        connect(created["connection_url"], created["password"]).verify_connectivity()
    api.finish(created["id"])
    assert api.status(created["id"]) == "paused"
    with pytest.raises(ServiceUnavailable):
        connect(created["connection_url"], created["password"]).verify_connectivity()
    assert api.post(f"/v1/instances/{created['id']}/resume").status_code == 202
    api.finish(created["id"])
    driver = connect(created["connection_url"], created["password"])
    assert driver.execute_query("RETURN 1").records[0][0] == 1


def test_an_open_connection_ends_when_its_instance_pauses(api, connect):
    created = api.running(name="bolt-drop")
    driver = connect(created["connection_url"], created["password"])
    with driver.session() as session:
        assert session.run("RETURN 1").single()[0] == 1
        api.post(f"/v1/instances/{created['id']}/pause")
        with pytest.raises((ServiceUnavailable, neo4j.exceptions.SessionExpired)):
            session.run("RETURN 2").consume()


def test_deleted_instance_host_no_longer_resolves(api, connect, manual_sim):
    created = api.running(name="bolt-gone")
    host = created["connection_url"].split("://")[1]
    assert requests.get(f"{manual_sim.base_url}/_bolt/hosts/{host}", timeout=5).status_code == 200
    assert api.delete(f"/v1/instances/{created['id']}").status_code == 202
    api.finish(created["id"])
    assert requests.get(f"{manual_sim.base_url}/_bolt/hosts/{host}", timeout=5).status_code == 404
    with pytest.raises(ServiceUnavailable):
        connect(created["connection_url"], created["password"]).verify_connectivity()


def test_show_databases_lists_those_added_through_v2beta1(v2, connect):
    path, created = v2.multi_db("bolt-multi")
    assert v2.post(path + "/databases", {"name": "sales"}).status_code == 201
    driver = connect(created["connection_url"], created["password"])
    names = [r["name"] for r in driver.execute_query("SHOW DATABASES").records]
    assert names == ["neo4j", "sales", "system"]


def test_the_bolt_log_says_who_connected_and_what_ran(api, connect, manual_sim):
    created = api.running(name="bolt-log")
    driver = connect(created["connection_url"], created["password"])
    driver.execute_query("RETURN 1")
    with pytest.raises(Neo4jError):
        driver.execute_query("CREATE (n)")
    with pytest.raises(AuthError):
        connect(created["connection_url"], "wrong").verify_connectivity()
    log = manual_sim.bolt.log(created["id"])
    statements = [(e["statement"], e["ok"]) for e in log if e["event"] == "statement"]
    assert statements == [("RETURN 1", True), ("CREATE (n)", False)]
    logins = [(e["user"], e["ok"]) for e in log if e["event"] == "login"]
    assert ("neo4j", True) in logins and logins[-1] == ("neo4j", False)
    from aura_nb.simulator.remote import SimulatorAdmin
    with SimulatorAdmin(manual_sim.base_url, token=manual_sim.admin_token) as admin:
        assert admin.bolt_log(created["id"]) == log


def test_no_password_reaches_a_log_line_or_the_bolt_log(api, connect, manual_sim, caplog):
    created = api.running(name="bolt-secret")
    with caplog.at_level(logging.DEBUG):
        connect(created["connection_url"], created["password"]).execute_query("RETURN 1")
        with pytest.raises(AuthError):
            connect(created["connection_url"], "not-the-password").verify_connectivity()
    assert "LOGON" in caplog.text or "HELLO" in caplog.text   # the driver's own lines were caught
    for secret in (created["password"], "not-the-password"):
        assert secret not in caplog.text
        assert secret not in repr(manual_sim.bolt.log(created["id"]))


def test_the_listener_binds_loopback_only(manual_sim):
    bolt = manual_sim.bolt
    assert bolt.host == "127.0.0.1"
    with socket.create_connection((bolt.host, bolt.port), timeout=5):
        pass
    with pytest.raises(ValueError):
        BoltServer(manual_sim.world, host="0.0.0.0")
    with pytest.raises(ConnectionRefusedError):              # the port paused instances get
        socket.create_connection((bolt.host, bolt.refusing_port), timeout=5)


def test_the_bolt_directory_answers_loopback_and_lists_no_secret(manual_sim):
    directory = requests.get(f"{manual_sim.base_url}/_bolt", timeout=5).json()
    assert directory["domain"] == "databases.neo4j.io"
    assert "PRIVATE KEY" not in directory["ca_pem"] and "BEGIN CERTIFICATE" in directory["ca_pem"]


def test_driver_options_are_empty_for_the_real_service(trust_env):
    client = aura_nb.AuraClient("id", "secret", "https://api.neo4j.io")
    before = dict(__import__("os").environ)
    assert aura_nb.driver_options(client) == {}
    assert dict(__import__("os").environ) == before


def test_without_trustme_the_simulator_serves_no_bolt_and_says_how_to_get_it(monkeypatch,
                                                                             make_client):
    import aura_nb.simulator.server as server

    monkeypatch.setattr(server, "BoltServer", None)         # as when trustme is not installed
    from aura_nb.simulator import Simulator

    with Simulator(rate_limit=0) as sim:
        assert sim.bolt is None
        answer = requests.get(f"{sim.base_url}/_bolt", timeout=5)
        assert answer.status_code == 404 and "aura_nb[driver]" in answer.text
        with pytest.raises(aura_nb.ConfigurationError, match=r"aura_nb\[driver\]"):
            aura_nb.driver_options(make_client(sim))
