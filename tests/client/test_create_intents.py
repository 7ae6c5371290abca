"""The create intent journal (issue 20): one intent, one instance, whatever answers late.

A create the service carries out after the client gave up on it, a second create of the name
while the first is in flight, a token endpoint that fails before anything is sent, and an
interrupt (SIGINT, SIGTERM) while the request is in flight, each through `AuraClient`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from aura_nb.core import intents
from aura_nb.core.errors import CreateResponseLost, EarlierCreateUnresolved, TransportError

from tests.helpers.clock import wait_until
from tests.helpers.simulator import instances_named, requests_made, slow_create, slow_requests

POSTS = "POST /v1/instances"


def states(client, spec) -> list[str]:
    return [i.state for i in client.intents.intents(client.base_url, spec.tenant_id, spec.name)]


def warmed(client, spec):
    """Tenant, token and server clock in hand, so the create's POST leaves at once."""
    client.validate_spec(spec)
    client.list_instances(spec.tenant_id)
    return spec


@pytest.mark.parametrize("name, late, grace", [("nb-slow-one", 1.2, 400), ("class-db-7", 0.8, 250)])
def test_a_create_carried_out_after_the_budget_is_found_by_the_next_create_not_sent_again(
        sim, make_client, make_spec, monkeypatch, name, late, grace):
    monkeypatch.setenv("AURA_CREATE_GRACE", str(grace))
    client = make_client(sim, timeout=0.5)
    spec = warmed(client, make_spec(name))
    slow_create(sim, late, monkeypatch)
    with pytest.raises(CreateResponseLost) as first:
        client.create_instance(spec)
    assert first.value.instance is None  # the one look right after it: not listed yet
    assert states(client, spec) == [intents.UNKNOWN]

    lines: list[str] = []
    with client.time_budget(10), pytest.raises(CreateResponseLost) as second:
        client.create_instance(spec, notify=lines.append)
    made = instances_named(sim, name)
    assert [i.id for i in made] == [second.value.instance.id]
    assert requests_made(sim)[POSTS] == 1
    assert "was carried out" in str(second.value) and "Nothing was sent now" in str(second.value)
    assert len(lines) == 1 and "not listed yet" in lines[0] and "AURA_CREATE_GRACE" in lines[0]
    assert states(client, spec) == [intents.CREATED]


@pytest.mark.parametrize("grace", [120, 260])
def test_a_create_that_never_happened_is_sent_again_only_after_a_listing_past_the_grace(
        sim, make_client, make_spec, monkeypatch, grace):
    monkeypatch.setenv("AURA_CREATE_GRACE", str(grace))
    client = make_client(sim)
    spec = warmed(client, make_spec(f"nb-dropped-{grace}"))
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances", "action": "drop"}])
    with pytest.raises(CreateResponseLost):
        client.create_instance(spec)
    sent_at = client.intents.intents(client.base_url, spec.tenant_id, spec.name)[0].sent_at

    created = client.create_instance(spec)
    assert [i.id for i in instances_named(sim, spec.name)] == [created.id]
    assert requests_made(sim)[POSTS] == 2
    assert states(client, spec) == [intents.NOT_CREATED, intents.CREATED]
    assert client.intents.intents(client.base_url, spec.tenant_id, spec.name)[1].sent_at \
        >= sent_at + grace


def test_an_earlier_create_still_within_its_grace_stops_the_next_within_its_budget(
        sim, make_client, make_spec, monkeypatch):
    monkeypatch.setenv("AURA_CREATE_GRACE", "3000")
    client = make_client(sim)
    spec = warmed(client, make_spec("nb-patience"))
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances", "action": "drop"}])
    with pytest.raises(CreateResponseLost):
        client.create_instance(spec)
    started = time.monotonic()
    with client.time_budget(0.8), pytest.raises(EarlierCreateUnresolved) as info:
        client.create_instance(spec, notify=lambda line: None)
    assert time.monotonic() - started < 2
    assert "nothing was sent" in str(info.value) and "AURA_CREATE_GRACE=3000" in str(info.value)
    assert requests_made(sim)[POSTS] == 1 and not instances_named(sim, spec.name)


def test_a_second_create_of_the_name_while_the_first_is_in_flight_sends_nothing(
        sim, make_client, make_spec, monkeypatch):
    first_client, second_client = make_client(sim), make_client(sim)  # one journal, two callers
    spec = warmed(first_client, make_spec("nb-twice-at-once"))
    warmed(second_client, spec)
    slow_create(sim, 0.7, monkeypatch)
    made = []
    worker = threading.Thread(target=lambda: made.append(first_client.create_instance(spec)))
    worker.start()
    time.sleep(0.2)
    with pytest.raises(CreateResponseLost) as info:
        second_client.create_instance(spec)
    worker.join()
    assert [i.id for i in instances_named(sim, spec.name)] == [made[0].id]
    assert made[0].id in str(info.value) and str(made[0].vault_path) in str(info.value)
    assert requests_made(sim)[POSTS] == 1


def test_a_token_endpoint_outage_before_the_create_is_never_sent(sim, make_client, make_spec):
    spec = make_spec("nb-no-token")
    client = make_client(sim)
    client.validate_spec(spec)
    client.transport.tokens.invalidate()
    sim.set_faults(script=[{"method": "POST", "path": "/oauth/token", "action": "status",
                            "status": 503, "times": 20}])
    with pytest.raises(TransportError) as info:
        client.create_instance(spec)
    assert info.value.sent is False and "never sent" in str(info.value)
    assert requests_made(sim)[POSTS] == 0
    assert states(client, spec) == []  # nothing was ever in flight


SCRIPT = """
import sys
from aura_nb import AuraClient
from tests.helpers.specs import learning_spec
client = AuraClient(base_url={base!r}, client_id={cid!r}, client_secret={secret!r}, speed=100,
                    vault_dir={vault!r}, journal_dir={journal!r}, timeout=8, rate_limit=0)
spec = learning_spec(client, {name!r})
client.validate_spec(spec)
client.list_instances(spec.tenant_id)
print("ready", flush=True)
sys.stdin.readline()
try:
    client.create_instance(spec)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
print("returned", flush=True)
"""


@pytest.mark.parametrize("signals, name", [
    ((signal.SIGINT,), "nb-ctrl-c"),
    ((signal.SIGTERM,), "nb-terminated"),
    ((signal.SIGINT, signal.SIGINT), "nb-abandoned"),
])
def test_an_interrupt_while_the_create_is_in_flight_finishes_it_and_saves_the_password(
        sim, tmp_path, signals, name):
    vault, journal = tmp_path / "vault", tmp_path / "intents"
    code = SCRIPT.format(base=sim.base_url, cid=sim.client_id, secret=sim.client_secret,
                         vault=str(vault), journal=str(journal), name=name)
    root = Path(__file__).resolve().parents[2]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AURA_")},
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)
    try:
        assert proc.stdout.readline() == "ready\n"
        slow_requests(sim, 1.0, window=0.4)  # the child's next request is the POST
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert wait_until(lambda: requests_made(sim)[POSTS] == 1, 5)
        time.sleep(0.1)
        for signum in signals:
            proc.send_signal(signum)
            time.sleep(0.15)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130 and out.endswith("interrupted\n"), out + err
    assert "Traceback" not in err
    assert f"finishing the create of {name!r}" in err
    assert wait_until(lambda: len(instances_named(sim, name)) == 1, 5)
    (instance,) = instances_named(sim, name)
    records = [json.loads(line) for line in next(journal.glob("*.jsonl")).read_text().splitlines()]
    saved = list(vault.glob("*"))
    if len(signals) == 1:
        assert f"finished: instance {instance.id}" in err
        assert [p.name for p in saved if instance.id in p.name] and records[-1]["state"] == "created"
        (password,) = [line.split("=", 1)[1].strip("'\"") for p in saved
                       for line in p.read_text().splitlines() if line.startswith("NEO4J_PASSWORD=")]
        assert len(password) >= 8 and password not in err + out
    else:  # a second interrupt abandons the wait: unknown, and the journal keeps it open
        assert "Abandoned the create" in err and not saved
        assert records[-1]["state"] == intents.SENT


@pytest.mark.parametrize("name", ["nb-two-terminals", "class-db-31"])
def test_a_create_another_process_just_made_is_not_made_again(sim, make_client, make_spec,
                                                             tmp_path, name):
    """Two terminals (or a notebook beside the CLI) each looked before the other created: the
    second create of the name, within the grace time, names the first one's instance."""
    spec = make_spec(name)
    client = make_client(sim)  # its journal: tmp_path / "intents", shared with the child
    code = textwrap.dedent(f"""
        from aura_nb import AuraClient
        from tests.helpers.specs import learning_spec
        client = AuraClient(base_url={sim.base_url!r}, client_id={sim.client_id!r},
                            client_secret={sim.client_secret!r}, speed=100, rate_limit=0,
                            vault_dir={str(tmp_path / "vault")!r},
                            journal_dir={str(tmp_path / "intents")!r})
        print(client.create_instance(learning_spec(client, {name!r})).id)
    """)
    root = Path(__file__).resolve().parents[2]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AURA_")},
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    made = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert made.returncode == 0, made.stderr
    with pytest.raises(CreateResponseLost) as info:
        client.create_instance(spec)
    first = made.stdout.strip()
    assert [i.id for i in instances_named(sim, name)] == [first] and first in str(info.value)
    assert requests_made(sim)[POSTS] == 1
    assert "Nothing was sent now" in str(info.value)


@pytest.mark.parametrize("name", ["nb-lost-then-gone", "class-db-12"])
def test_a_lost_create_its_listing_found_is_settled_so_the_next_create_does_not_wait(
        sim, make_client, make_spec, monkeypatch, name):
    """Notebook 07's story: the answer is lost, the listing right after names the instance,
    the instance is deleted; a create of the name later is a new intent, sent at once (the
    journal had kept the first one open, so the next create listed until the grace time ended)."""
    monkeypatch.setenv("AURA_CREATE_GRACE", "600")
    client = make_client(sim)
    spec = warmed(client, make_spec(name))
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances", "action": "lose_response",
                            "times": 1}])
    with pytest.raises(CreateResponseLost) as lost:
        client.create_instance(spec)
    assert lost.value.instance is not None
    assert states(client, spec) == [intents.CREATED]
    client.wait_for_instance(lost.value.instance.id)
    client.delete_instance(lost.value.instance.id)
    client.wait_for_instance(lost.value.instance.id, status="deleted")

    lines: list[str] = []
    again = client.create_instance(spec, notify=lines.append)
    assert lines == [] and again.id != lost.value.instance.id
    assert [i.id for i in instances_named(sim, name)] == [again.id]


@pytest.mark.parametrize("name", ["nb-gone-since", "class-db-44"])
def test_another_process_create_deleted_since_does_not_refuse_a_new_one(
        sim, make_client, make_spec, monkeypatch, name):
    """Within the grace time, another process's create of the name is refused as the same
    intent, unless its instance has been deleted since (99 deletes, 03 runs again)."""
    monkeypatch.setenv("AURA_CREATE_GRACE", "100000")  # all of this test within the grace time
    client = make_client(sim)
    spec = warmed(client, make_spec(name))
    first = client.create_instance(spec)
    key = client.intents.intents(client.base_url, spec.tenant_id, spec.name)
    assert [i.state for i in key] == [intents.CREATED]
    path = next(client.intents.folder.glob("*.jsonl"))  # as if another process had made it
    path.write_text(re.sub(r'"pid": *\d+', '"pid": 1', path.read_text()))
    client.wait_for_instance(first.id)
    client.delete_instance(first.id)
    client.wait_for_instance(first.id, status="deleted")
    again = client.create_instance(spec)
    assert again.id != first.id and [i.id for i in instances_named(sim, name)] == [again.id]
