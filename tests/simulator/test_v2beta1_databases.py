"""v2beta1 databases of an instance and their backups, restore included."""

from aura_nb.simulator.world import World


def single_db(v2):
    created = v2.create_v2()
    v2.finish(created["id"])
    return f"{v2.project()}/instances/{created['id']}", created


def test_a_single_database_instance_has_one_database_and_cannot_add_more(v2):
    path, created = single_db(v2)
    r = v2.get(path + "/databases")
    assert r.status_code == 200 and [d["id"] for d in r.json()["data"]] == [created["id"]]
    r = v2.post(path + "/databases", {"name": "sales"})
    assert r.status_code == 409
    assert r.json() == {"message": "Only multi database Instances can add databases",
                        "reason": "multi-db-only"}


def test_multi_database_instance_adds_gets_lists_and_deletes_databases(v2):
    path, created = v2.multi_db()
    listed = v2.get(path + "/databases").json()["data"]
    assert [d["id"] for d in listed] == [created["default_database_id"]]
    r = v2.post(path + "/databases", {"name": "sales", "ignored": True})
    assert r.status_code == 201
    sales = r.json()["data"]["id"]
    assert len(sales) == 8 and sales not in (created["id"], created["default_database_id"])
    assert v2.get(f"{path}/databases/{sales}").json()["data"] == {"id": sales, "name": "sales"}
    assert len(v2.get(path + "/databases").json()["data"]) == 2
    r = v2.delete(f"{path}/databases/{sales}")
    assert r.status_code == 202 and r.json()["data"] == {"id": sales}
    again = v2.delete(f"{path}/databases/{sales}")
    assert again.status_code == 404 and again.json()["reason"] == "aura-database-not-found"
    default = v2.delete(f"{path}/databases/{created['default_database_id']}")
    assert default.status_code == 409


def test_database_names_are_validated_with_422(v2):
    path, _ = v2.multi_db()
    r = v2.post(path + "/databases", {})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"name"}
    assert r.json()["reason"] == "validation-error"
    assert v2.post(path + "/databases", {"name": "Bad Name"}).status_code == 422
    assert v2.post(path + "/databases", {"name": "neo4j"}).status_code == 422


def test_adding_a_database_waits_for_a_running_instance(v2):
    created = v2.create_v2("Workshop Project", type="business-critical", memory="4GB",
                           multi_database=True)
    path = f"{v2.project('Workshop Project')}/instances/{created['id']}"
    r = v2.post(path + "/databases", {"name": "early"})
    assert r.status_code == 409 and r.json()["reason"] == "instance-not-running"


def test_a_backup_is_pending_then_listed_once_completed_and_exportable(v2):
    path, _ = v2.multi_db()
    sales = v2.post(path + "/databases", {"name": "sales"}).json()["data"]["id"]
    backups = f"{path}/databases/{sales}/backups"
    r = v2.post(backups)
    assert r.status_code == 202 and set(r.json()["data"]) == {"id"}
    backup = r.json()["data"]["id"]
    first = v2.get(f"{backups}/{backup}").json()["data"]
    assert first["status"] == "Pending" and first["exportable"] is False
    assert v2.get(backups).json()["data"] == []
    assert v2.post(backups).status_code == 409           # one at a time
    v2.sim.advance(120)
    listed = v2.get(backups).json()["data"]
    assert [(b["id"], b["status"], b["exportable"]) for b in listed] == [
        (backup, "Completed", True)]
    assert set(listed[0]) == {"id", "timestamp", "status", "exportable"}
    # The default database's backups are separate from this one's.
    default = v2.get(path + "/databases").json()["data"][0]["id"]
    assert v2.get(f"{path}/databases/{default}/backups").json()["data"] == []


def test_restore_from_a_completed_backup(v2):
    path, _ = v2.multi_db()
    sales = v2.post(path + "/databases", {"name": "sales"}).json()["data"]["id"]
    database = f"{path}/databases/{sales}"
    backup = v2.post(database + "/backups").json()["data"]["id"]
    early = v2.post(database + "/restore", {"id": backup})
    assert early.status_code == 409 and early.json()["reason"] == "backup-not-completed"
    v2.sim.advance(120)
    missing = v2.post(database + "/restore", {"backup_id": backup})
    assert missing.status_code == 400
    assert missing.headers["Content-Type"].startswith("text/plain")
    assert missing.text == "- at '': missing property 'id'"
    unknown = v2.post(database + "/restore", {"id": "nope"})
    assert unknown.status_code == 404 and unknown.json()["reason"] == "snapshot-not-found"
    r = v2.post(database + "/restore", {"id": backup})
    assert r.status_code == 202
    assert r.json()["data"]["status"] == "restoring"
    assert r.json()["data"]["aura_database_id"] == sales
    assert v2.post(database + "/restore", {"id": backup}).status_code == 409
    assert v2.post(database + "/backups").status_code == 409
    v2.sim.advance(130)
    assert v2.post(database + "/backups").status_code == 202


def test_restore_on_a_single_database_instance_is_a_422(v2):
    path, created = single_db(v2)
    database = f"{path}/databases/{created['id']}"
    backup = v2.post(database + "/backups").json()["data"]["id"]
    v2.sim.advance(120)
    assert v2.post(database + "/restore", {"id": backup}).status_code == 422


def test_v1_snapshots_are_the_backups_of_the_default_database(v2):
    path, created = single_db(v2)
    snapshot = v2.post(f"/v1/instances/{created['id']}/snapshots").json()["data"]["snapshot_id"]
    v2.sim.advance(120)
    backups = v2.get(f"{path}/databases/{created['id']}/backups").json()["data"]
    assert [b["id"] for b in backups] == [snapshot]
    backup = v2.post(f"{path}/databases/{created['id']}/backups").json()["data"]["id"]
    v1 = v2.get(f"/v1/instances/{created['id']}/snapshots/{backup}")
    assert v1.status_code == 200 and v1.json()["data"]["profile"] == "AdHoc"


def test_databases_survive_the_state_file_and_go_with_their_instance(v2):
    path, created = v2.multi_db()
    sales = v2.post(path + "/databases", {"name": "sales"}).json()["data"]["id"]
    state = v2.sim.world.to_state()
    copy = World(seed=0)
    copy.load_state(state)
    assert [d.name for d in copy.databases[created["id"]]] == ["neo4j", "sales"]
    assert copy.instances[created["id"]].multi_database is True
    old = dict(state)
    del old["databases"]                               # a file saved before v2beta1
    World(seed=0).load_state(old)
    assert v2.delete(path).status_code == 202
    v2.finish(created["id"])
    assert v2.get(f"{path}/databases/{sales}").status_code == 404
    assert created["id"] not in v2.sim.world.databases


def test_body_less_v2beta1_posts_need_no_content_type_but_v1_posts_still_do(v2):
    path, created = single_db(v2)
    backups = f"{path}/databases/{created['id']}/backups"
    assert v2.post(backups, data=b"").status_code == 202
    assert v2.post(f"/v1/instances/{created['id']}/pause", data=b"").status_code == 415
    r = v2.post(path + "/databases", data=b"name=x",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
