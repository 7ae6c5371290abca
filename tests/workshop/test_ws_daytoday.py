"""Day-to-day operations on a provisioned class: status, pause/resume, teardown, orphans."""

from __future__ import annotations

import pytest

from aura_nb import InstanceSpec
from aura_nb.workshop import DELETED, Workshop

from tests.helpers.simulator import prefixed, requests_made


#: the class the ``workshop`` fixture (tests/workshop/conftest.py) provisions
CLASS = ("day", 6)


def _stray(client, name):
    tenant = client.find_tenant()
    return client.create_instance(InstanceSpec(name, tenant.id, "professional-db", "gcp", "europe-west1", "2GB"))


def test_status_reports_every_attendee_with_server_age(sim, workshop):
    rows = workshop.status()
    assert [r.status for r in rows] == ["running"] * 6
    assert all(200 <= r.age < 260 for r in rows)  # virtual seconds since creation, not local time
    assert [r.attendee for r in rows][:2] == ["Zoë Núñez", "Zoe Nunez"]
    assert requests_made(sim)["GET /v1/instances/{instanceId}"] == 6


def test_pause_and_resume_skip_what_is_there_and_ride_out_busy_answers(sim, workshop):
    # two pause requests answered 409 "busy": retried after a pause, never given up
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances/{instanceId}/pause", "action": "status",
                            "status": 409, "times": 2}])
    paused = workshop.pause_all(wait=False)
    assert sorted(paused.changed) == sorted(r.attendee for r in workshop.manifest) and not paused.failed
    assert requests_made(sim)["POST /v1/instances/{instanceId}/pause"] == 8
    # resuming while they are still pausing: each is awaited to paused, then resumed
    resumed = workshop.resume_all()
    assert len(resumed.changed) == 6 and set(resumed.statuses.values()) == {"running"}
    assert {i.status for i in prefixed(sim, "day")} == {"running"}
    again = workshop.resume_all()
    assert again.changed == [] and len(again.skipped) == 6
    assert requests_made(sim)["POST /v1/instances/{instanceId}/resume"] == 6


def test_teardown_interrupted_halfway_finishes_on_rerun_and_reports_orphans(sim, workshop_client, workshop):
    stray = _stray(workshop_client, "day-stray")  # has the prefix, not in the manifest
    other = _stray(workshop_client, "other-db")
    gone_early = workshop.manifest.records["Attendee 00"].instance_id
    workshop_client.delete_instance(gone_early)  # deleted behind the workshop's back: DELETE answers 404

    dry = workshop.teardown()
    assert dry.dry_run and len(dry.planned) == 6 and [o.id for o in dry.orphans] == [stray.id]
    assert requests_made(sim)["DELETE /v1/instances/{instanceId}"] == 1  # only ours above

    def stop_after_two(event):
        if event.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # one worker: at most one more deletion after the second
        Workshop(workshop_client, "day", concurrency=1).teardown(yes=True, on_progress=stop_after_two)
    halfway = Workshop(workshop_client, "day").manifest
    done = [r for r in halfway if r.status == DELETED]
    assert 2 <= len(done) <= 3

    final = Workshop(workshop_client, "day").teardown(yes=True)
    assert not final.failed and len(final.deleted) + len(final.already_gone) == 6 - len(done)
    assert [o.id for o in final.orphans] == [stray.id]
    assert {r.status for r in Workshop(workshop_client, "day").manifest} == {DELETED}
    sim.advance(30)
    assert [i.id for i in prefixed(sim, "day")] == [stray.id]  # orphans are reported, never deleted
    assert other.id in sim.world.instances
    # every instance was asked to go at most once by teardown (plus the early delete)
    assert requests_made(sim)["DELETE /v1/instances/{instanceId}"] <= 1 + 6
    nothing = Workshop(workshop_client, "day").teardown(yes=True)
    assert nothing.planned == [] and nothing.deleted == []
