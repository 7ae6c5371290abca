"""Provisioning a class against the simulator, with faults switched on, and guardrails."""

from __future__ import annotations

import json
import logging
import time

import pytest

from aura_nb.core.waiting import DurationStore
from aura_nb.simulator import Simulator
from aura_nb.workshop import (
    LOST_PASSWORD_NOTE,
    PAUSED_NOTE,
    ClassSpec,
    Guardrails,
    GuardrailViolation,
    Workshop,
    WorkshopError,
    read_roster,
)

from tests.helpers import SPEED
from tests.helpers.simulator import prefixed, requests_made
from tests.helpers.workshop import CLIENT_SETTINGS, SPEC


def _secrets(sim: Simulator) -> list[str]:
    found = sim.issued_secrets()
    return [s for key in ("client_secrets", "access_tokens", "passwords") for s in found[key] if s]


def test_class_of_30_with_faults_gets_one_running_instance_and_handout_each(make_client, home, roster_file, caplog):
    caplog.set_level(logging.DEBUG)
    faults = {
        "error_rate": 0.04, "rate_429": 0.04, "drop_rate": 0.03,
        "script": [
            # one create is carried out but its answer never arrives: the API lost that password
            {"method": "POST", "path": "/v1/instances", "action": "lose_response", "times": 1},
            # then one create refused with 503 and one whose connection drops before anything is done
            {"method": "POST", "path": "/v1/instances", "action": "status", "status": 503, "times": 1},
            {"method": "POST", "path": "/v1/instances", "action": "drop", "times": 1},
            # and a burst of 429s on the status requests: two, so that with the random faults a
            # read still gets through within its 1 + max_retries tries (four 429s and one random
            # failure made the lost create's check fail: "unknown whether created", 4 seeds in 40)
            {"method": "GET", "path": "/v1/instances/{instanceId}", "action": "status", "status": 429, "times": 2},
            # reads answered 500: the client reads again itself (GET is safe to resend)
            {"method": "GET", "path": "/v1/instances", "action": "status", "status": 500, "times": 2},
            {"method": "GET", "path": "/v1/tenants", "action": "status", "status": 500, "times": 1},
        ],
    }
    # Tokens live 300 virtual seconds (3 s real; the client renews them 1.5 s before): they
    # expire while the class (5-9 s) is being created. At 150 (renewed 0.75 s before), a read
    # whose 429 backoffs outlasted that twice ended in a second 403: "unknown whether created",
    # 2 seeds in 60. Renewals come faster than the token endpoint's 15 an hour: that limit is
    # lifted.
    with Simulator(seed=11, speed=SPEED, rate_limit=125, token_ttl=300, token_limit=0,
                   faults=faults) as sim:
        client = make_client(sim, **CLIENT_SETTINGS)
        workshop = Workshop(client, "gds-0612", retry_delay=0.05)
        events = []
        report = workshop.provision(roster_file(30), SPEC, guardrails=Guardrails(max_instances=30),
                                    on_progress=events.append)

        attendees = [a.name for a in read_roster(roster_file(30))]
        assert report.ok, report.lines()
        assert sorted(report.ready) == sorted(attendees)
        # exactly one instance per attendee in the simulated service: no duplicate ever
        world = prefixed(sim, "gds-0612")
        names = sorted(i.name for i in world)
        assert len(world) == 30 and len(set(names)) == 30
        assert names == sorted(r.name for r in workshop.manifest)
        assert {i.status for i in world} == {"running"}
        assert {i.id for i in world} == {r.instance_id for r in workshop.manifest}
        passwords = sim.issued_secrets()["passwords"]
        assert len(passwords) == 30  # one create carried out per attendee, no more

        # the one lost password is reported by name; every other one is in its hand-out
        lost = [r for r in workshop.manifest if not r.password_captured]
        assert len(lost) == 1 and report.lost_passwords == [lost[0].attendee]
        assert LOST_PASSWORD_NOTE in lost[0].notes and lost[0].attendee in report.summary()
        handed_out = set()
        for record in workshop.manifest:
            text = (workshop.handouts_folder / f"{record.name}.txt").read_text()
            assert f"AURA_INSTANCEID={record.instance_id}" in text
            assert f"NEO4J_URI=neo4j+s://{record.instance_id}.databases.neo4j.io" in text
            password = text.split("NEO4J_PASSWORD=")[1].split("\n")[0]
            if record is lost[0]:
                assert password == "" and "lost" in text
            else:
                assert password in passwords
                assert client.vault.load(record.instance_id).password == password
                handed_out.add(password)
        assert len(handed_out) == 29

        # the service really misbehaved, and the token really expired mid-run
        stats = sim.stats_snapshot()
        assert stats["tokens_issued"] >= 2
        assert stats["responses"].get("429", 0) >= 2
        assert stats["responses"].get("500", 0) >= 3

        # no secret outside the vault and the attendee's own hand-out
        shown = [repr(report), report.summary(), *map(str, events), *(r.getMessage() for r in caplog.records),
                 workshop.manifest.path.read_text(), report.handouts.summary_csv.read_text(),
                 report.handouts.summary_md.read_text(), repr(workshop), repr(workshop.manifest)]
        for secret in _secrets(sim):
            assert not any(secret in text for text in shown)

        # re-running is a no-op: nothing created, manifest unchanged
        before = json.loads(workshop.manifest.path.read_text())
        posts = requests_made(sim).get("POST /v1/instances", 0)
        again = Workshop(client, "gds-0612").provision(roster_file(30), guardrails=Guardrails(max_instances=30))
        assert again.created == [] and again.adopted == [] and again.ok
        assert requests_made(sim).get("POST /v1/instances", 0) == posts
        assert json.loads(workshop.manifest.path.read_text()) == before
        assert len(prefixed(sim, "gds-0612")) == 30


def test_provision_after_interruption_adopts_instead_of_duplicating(sim, workshop_client, home, roster_file):
    workshop = Workshop(workshop_client, "ws")
    first = workshop.provision(roster_file(4), SPEC, wait=False, handouts=False)
    assert len(first.created) == 4
    # The manifest as a process that died right after its create leaves it: the intent recorded
    # before sending ("unknown"), not the answer.
    victim = workshop.manifest.records["Attendee 00"].instance_id
    workshop.manifest.update("Attendee 00", instance_id="", status="unknown", vault_path="",
                             password_captured=False)
    sim.advance(200)
    again = Workshop(workshop_client, "ws").provision(roster_file(4))
    assert again.adopted == ["Attendee 00"] and again.created == [] and again.ok
    assert len(prefixed(sim, "ws")) == 4
    record = Workshop(workshop_client, "ws").manifest.records["Attendee 00"]
    assert record.instance_id == victim
    assert record.password_captured  # the vault still had it
    assert requests_made(sim)["POST /v1/instances"] == 4


def test_an_instance_that_only_shares_a_name_is_never_adopted(sim, workshop_client, home, roster_file):
    """Ids, not names: an instance someone else made with an attendee's instance name is not the
    workshop's (only a create whose outcome was unknown is looked for by name)."""
    stranger = workshop_client.create_instance(SPEC.complete(workshop_client.find_tenant(None), "nm-attendee-01"))
    report = Workshop(workshop_client, "nm").provision(roster_file(4), SPEC, wait=False, handouts=False)
    assert report.adopted == [] and len(report.created) == 4
    ours = Workshop(workshop_client, "nm").manifest.records["Attendee 01"]
    assert ours.name == "nm-attendee-01" and ours.instance_id != stranger.id
    assert stranger.id in {i.id for i in prefixed(sim, "nm")}       # left alone


def test_a_vanished_instance_is_created_again(sim, workshop_client, home, roster_file):
    workshop = Workshop(workshop_client, "ws")
    workshop.provision(roster_file(2), SPEC, wait=False, handouts=False)
    gone = workshop.manifest.records["Zoë Núñez"].instance_id
    sim.advance(200)
    workshop_client.delete_instance(gone)
    sim.advance(30)
    report = Workshop(workshop_client, "ws").provision(roster_file(2), wait=False)
    assert report.created == ["Zoë Núñez"] and report.adopted == [] and not report.failed
    record = Workshop(workshop_client, "ws").manifest.records["Zoë Núñez"]
    assert record.instance_id != gone and any("vanished" in note for note in record.notes)


def test_provision_after_teardown_creates_fresh_instances_instead_of_adopting_destroying_ones(
        sim, workshop_client, home, roster_file):
    from aura_nb import InstanceSpec

    workshop = Workshop(workshop_client, "ws")
    workshop.provision(roster_file(3), SPEC, wait=False, handouts=False)
    old = {r.attendee: r.instance_id for r in workshop.manifest}
    name = workshop.manifest.records["Attendee 00"].name
    tenant = workshop_client.find_tenant()
    stray = workshop_client.create_instance(InstanceSpec(name, tenant.id, "professional-db", "gcp", "europe-west1", "2GB"))
    sim.advance(200)
    workshop.teardown(yes=True)
    workshop_client.delete_instance(stray.id)  # deleted outside the workshop, same name as an attendee's
    with sim.world.lock:  # still listed, with their names, while they are being deleted
        assert {sim.world.instances[i].status for i in [*old.values(), stray.id]} == {"destroying"}

    again = Workshop(workshop_client, "ws").provision(roster_file(3))
    assert sorted(again.created) == sorted(old) and again.adopted == [] and again.ok, again.summary()
    manifest = Workshop(workshop_client, "ws").manifest
    for record in manifest:
        assert record.instance_id not in (*old.values(), stray.id)
        assert record.status == "running" and record.password_captured and record.notes == []
        assert workshop_client.vault.load(record.instance_id).password
        assert f"AURA_INSTANCEID={record.instance_id}" in (workshop.handouts_folder / f"{record.name}.txt").read_text()
    assert requests_made(sim)["POST /v1/instances"] == 3 + 1 + 3
    sim.advance(30)
    assert sorted(i.id for i in prefixed(sim, "ws")) == sorted(r.instance_id for r in manifest)


@pytest.mark.parametrize(
    "spec, rails, message",
    [
        (SPEC, Guardrails(max_instances=5), "6 attendees need 6 instances but the limit is 5"),
        (ClassSpec(type="business-critical"), Guardrails(max_instances=10), "'business-critical' is not allowed"),
        (ClassSpec(memory="16GB"), Guardrails(max_instances=10), "above this workshop's limit of 8GB"),
        (ClassSpec(type="free-db"), Guardrails(max_instances=10, allowed_types=()), "free-db allows one"),
    ],
)
def test_guardrails_refuse_before_any_request(sim, workshop_client, home, roster_file, spec, rails, message):
    with pytest.raises(GuardrailViolation) as info:
        Workshop(workshop_client, "ws").provision(roster_file(6), spec, guardrails=rails)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert requests_made(sim) == {} and workshop_client.token_requests == 0
    assert not (home / "workshops" / "ws" / "manifest.json").exists()


def test_settings_the_tenant_lacks_are_refused_before_any_create(sim, workshop_client, home, roster_file):
    from aura_nb import InvalidInstanceSpec

    with pytest.raises(InvalidInstanceSpec, match="region 'mars-north1' is not offered"):
        Workshop(workshop_client, "ws").provision(roster_file(3), ClassSpec(cloud_provider="gcp", region="mars-north1"))
    assert "POST /v1/instances" not in requests_made(sim)


def test_clones_from_a_seed_and_resets_one_attendee(sim, workshop_client, home, roster_file):
    from aura_nb import InstanceSpec

    tenant = workshop_client.find_tenant()
    seed = workshop_client.create_instance(InstanceSpec("seed-data", tenant.id, "professional-db", "gcp",
                                                "europe-west1", "2GB"))
    big = workshop_client.create_instance(InstanceSpec("big-seed", tenant.id, "professional-db", "gcp",
                                               "europe-west1", "4GB"))
    sim.advance(200)
    workshop = Workshop(workshop_client, "ws", retry_delay=0.05)
    with pytest.raises(WorkshopError, match="has 4GB, more than the 2GB"):
        workshop.provision(roster_file(3), ClassSpec(memory="2GB"), seed_instance_id=big.id)
    report = workshop.provision(roster_file(3), SPEC, seed_instance_id=seed.id, wait=False)
    assert len(report.created) == 3 and workshop.manifest.seed_instance_id == seed.id
    assert requests_made(sim)["POST /v1/instances"] == 5
    creates = [e.request_body for e in workshop_client.history if e.method == "POST" and e.url.endswith("/v1/instances")]
    assert [body["source_instance_id"] for body in creates[-3:]] == [seed.id] * 3
    sim.advance(200)

    record = workshop.reset("zoe nunez")  # spelling and case do not matter
    assert record.status == "running"
    assert requests_made(sim)["POST /v1/instances/{instanceId}/overwrite"] == 1
    with pytest.raises(WorkshopError, match="no seed instance"):
        Workshop(workshop_client, "other").reset("anyone")


def test_the_fleet_wait_keeps_the_clients_poll_interval_when_history_expects_a_long_create(
        make_simulator, make_client, home, roster_file):
    """Issue 21, item 8: ``AURA_POLL_INTERVAL`` (the client's ``poll_interval``) bounds the gaps of
    the workshop's fleet wait as it does a single wait's, even when learned durations say a create
    takes far longer than it does (notebook 11 in real mode waited 60-130 s for a 1 s create)."""
    sim = make_simulator(durations={"creating": (5, 5)})
    client = make_client(sim, **CLIENT_SETTINGS, poll_interval=0.05)  # 5 server seconds
    DurationStore(sim.base_url).record("create", [(1900.0, 2000.0)] * 3, client.server_now())
    started = time.monotonic()
    report = Workshop(client, "pi").provision(roster_file(3), SPEC, handouts=False)
    assert report.ok and len(report.ready) == 3, report.lines()
    assert time.monotonic() - started < 5  # history alone would hold the first poll ~14 s


@pytest.mark.parametrize("known", [True, False], ids=["manifest-knows", "paused-behind-its-back"])
def test_provision_of_a_paused_class_says_to_resume_it_the_way_the_instructor_can(
        sim, workshop_client, home, roster_file, known):
    """A provision run after an (interrupted) pause: each paused attendee's line says to run the
    workshop's resume, in the CLI's words and Python's, not a client call on one instance."""
    workshop = Workshop(workshop_client, "pz")
    workshop.provision(roster_file(2), SPEC)
    for record in workshop.manifest:
        workshop_client.pause_instance(record.instance_id)
    sim.advance(200)
    if known:
        workshop.status()
    again = Workshop(workshop_client, "pz").provision(roster_file(2), timeout=30)
    assert not again.ok and again.created == []
    assert set(again.not_ready) == {r.attendee for r in workshop.manifest}
    for note in again.not_ready.values():
        assert note == PAUSED_NOTE and "resume" in note and "resume_all()" in note, note
    assert "client.resume_instance" not in "\n".join(again.lines())
