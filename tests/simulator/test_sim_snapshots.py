"""Snapshots: create, list by day, get, restore."""

import re

from aura_nb.simulator import Simulator

from tests.helpers.simulator import Api, error_of

SNAPSHOT_FIELDS = {"instance_id", "snapshot_id", "profile", "status", "timestamp", "exportable"}


def test_snapshot_goes_pending_inprogress_completed(api, manual_sim):
    iid = api.running()["id"]
    r = api.post(f"/v1/instances/{iid}/snapshots")
    assert r.status_code == 202
    assert set(r.json()["data"]) == {"snapshot_id"}
    sid = r.json()["data"]["snapshot_id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", sid)
    seen = []
    for _ in range(25):
        snap = api.get(f"/v1/instances/{iid}/snapshots/{sid}").json()["data"]
        if not seen or seen[-1] != snap["status"]:
            seen.append(snap["status"])
        manual_sim.advance(3)
    assert seen == ["Pending", "InProgress", "Completed"]
    assert set(snap) == SNAPSHOT_FIELDS
    assert (snap["instance_id"], snap["profile"], snap["exportable"]) == (iid, "AdHoc", True)
    assert api.status(iid) == "running"        # taking a snapshot does not block the instance


def test_list_is_per_virtual_day_defaulting_to_today(api, manual_sim):
    iid = api.running()["id"]
    first = api.post(f"/v1/instances/{iid}/snapshots").json()["data"]["snapshot_id"]
    today = manual_sim.world.snapshot_view(manual_sim.world.snapshots[iid][0])["timestamp"][:10]
    listed = api.get(f"/v1/instances/{iid}/snapshots").json()["data"]
    assert [s["snapshot_id"] for s in listed] == [first]
    assert all(set(s) == SNAPSHOT_FIELDS for s in listed)
    manual_sim.advance(24 * 3600)
    api.renew()                                 # the old token expired meanwhile
    second = api.post(f"/v1/instances/{iid}/snapshots").json()["data"]["snapshot_id"]
    assert [s["snapshot_id"] for s in api.get(f"/v1/instances/{iid}/snapshots").json()[
        "data"]] == [second]
    by_date = api.get(f"/v1/instances/{iid}/snapshots", params={"date": today}).json()["data"]
    assert [s["snapshot_id"] for s in by_date] == [first]
    assert api.get(f"/v1/instances/{iid}/snapshots",
                   params={"date": "2001-01-01"}).json()["data"] == []


def test_snapshot_errors(api):
    iid = api.running()["id"]
    r = api.get(f"/v1/instances/{iid}/snapshots", params={"date": "yesterday"})
    assert r.status_code == 400 and error_of(r)["field"] == "date"
    r = api.get(f"/v1/instances/{iid}/snapshots/nope")
    assert r.status_code == 404
    assert error_of(r) == {"message": "Snapshot not found: nope", "reason": "snapshot-not-found"}
    assert api.get("/v1/instances/deadbeef/snapshots").status_code == 404
    assert api.post("/v1/instances/deadbeef/snapshots").status_code == 404
    api.post(f"/v1/instances/{iid}/pause")
    r = api.post(f"/v1/instances/{iid}/snapshots")
    assert r.status_code == 409 and error_of(r)["reason"] == "ongoing-database-operation"


def test_restore_rolls_the_instance_back_in_place(api, manual_sim):
    iid = api.running()["id"]
    sid = api.post(f"/v1/instances/{iid}/snapshots").json()["data"]["snapshot_id"]
    r = api.post(f"/v1/instances/{iid}/snapshots/{sid}/restore")
    assert r.status_code == 400                 # not completed yet
    manual_sim.advance(60)
    r = api.post(f"/v1/instances/{iid}/snapshots/{sid}/restore")
    assert r.status_code == 202
    assert (r.json()["data"]["id"], r.json()["data"]["status"]) == (iid, "restoring")
    assert api.post(f"/v1/instances/{iid}/snapshots/{sid}/restore").status_code == 409
    api.finish(iid)
    assert api.status(iid) == "running"
    assert api.post(f"/v1/instances/{iid}/snapshots/nope/restore").status_code == 404


def test_snapshots_disappear_with_their_instance(api):
    iid = api.running()["id"]
    sid = api.post(f"/v1/instances/{iid}/snapshots").json()["data"]["snapshot_id"]
    api.delete(f"/v1/instances/{iid}")
    api.finish(iid)
    r = api.get(f"/v1/instances/{iid}/snapshots/{sid}")
    assert r.status_code == 404 and error_of(r)["reason"] == "db-not-found"


def test_snapshot_ids_follow_the_instance_not_the_world_history(api, manual_sim):
    def first_two_snapshot_ids(caller, simulator, noise: bool):
        if noise:                                   # other instances and snapshots before
            other = caller.running(name="noise")["id"]
            caller.post(f"/v1/instances/{other}/snapshots")
        iid = caller.running(name="snap-db")["id"]
        ids = []
        for _ in range(2):
            ids.append(caller.post(f"/v1/instances/{iid}/snapshots").json()["data"]["snapshot_id"])
            simulator.advance(120)
        return ids

    quiet = first_two_snapshot_ids(api, manual_sim, noise=False)
    assert quiet[0] != quiet[1]
    with Simulator(seed=0, rate_limit=0) as busy:
        assert first_two_snapshot_ids(Api(busy), busy, noise=True) == quiet
