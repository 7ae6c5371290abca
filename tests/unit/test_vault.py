"""The vault: console-format files, mode 0600, atomic writes, read back unchanged."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from aura_nb.core.errors import InvalidId, VaultEntryNotFound, VaultUnwritable, VaultWriteFailed
from aura_nb.core.models import CreatedInstance
from aura_nb.core.vault import Vault

TRICKY = "p'a\"s s#w=o$rd\\x{y}"


def created(instance_id="1a2b3c4d", name="my demo/db", password=TRICKY):
    return CreatedInstance.from_api({
        "id": instance_id, "name": name, "tenant_id": "t-1", "cloud_provider": "gcp",
        "region": "europe-west1", "type": "professional-db",
        "connection_url": f"neo4j+s://{instance_id}.databases.neo4j.io", "username": "neo4j",
        "password": password, "created_at": "2025-06-02T09:00:00Z"})


def test_save_writes_the_console_format_with_mode_0600(tmp_path):
    vault = Vault(tmp_path / "vault", api_base_url="https://api.neo4j.io")
    path = vault.save(created())
    assert path.name == "1a2b3c4d-my-demo-db.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    values = dotenv_values(path)
    assert values == {
        "NEO4J_URI": "neo4j+s://1a2b3c4d.databases.neo4j.io", "NEO4J_USERNAME": "neo4j",
        "NEO4J_PASSWORD": TRICKY, "AURA_INSTANCEID": "1a2b3c4d",
        "AURA_INSTANCENAME": "my demo/db", "AURA_TENANTID": "t-1",
        "AURA_CREATED_AT": "2025-06-02T09:00:00Z", "AURA_API_BASE_URL": "https://api.neo4j.io"}
    assert vault.load("1a2b3c4d").api_base_url == "https://api.neo4j.io"
    assert "AURA_API_BASE_URL" not in vault.load("1a2b3c4d").as_env()  # the console's variables only
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_load_and_entries_read_back_with_the_password_masked_in_repr(tmp_path):
    vault = Vault(tmp_path)
    vault.save(created())
    vault.save(created("5e6f7a8b", "second", "plain"))
    entry = vault.load("1a2b3c4d")
    assert entry.password == TRICKY and entry.instance_name == "my demo/db"
    shown = repr(entry) + str(entry) + entry._repr_html_() + vault.entries()._repr_html_()
    assert TRICKY not in shown and "plain" not in shown.replace("plain'", "")
    assert {e.instance_id for e in vault.entries()} == {"1a2b3c4d", "5e6f7a8b"}
    assert "5e6f7a8b" in vault and "99999999" not in vault


def test_saving_again_replaces_the_file_of_that_instance(tmp_path):
    vault = Vault(tmp_path)
    vault.save(created(name="old name"))
    path = vault.save(created(name="new name", password="second"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert vault.load("1a2b3c4d").password == "second"


def test_missing_entries_raise_a_clear_error(tmp_path):
    vault = Vault(tmp_path / "nothing-yet")
    assert vault.entries() == []
    with pytest.raises(VaultEntryNotFound, match="no credentials for instance 1a2b3c4d"):
        vault.load("1a2b3c4d")
    assert vault.path_for("1a2b3c4d", "x y").name == "1a2b3c4d-x-y.txt"


def test_default_folder_follows_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("AURA_VAULT_DIR", str(tmp_path / "v"))
    assert Vault().directory == tmp_path / "v"


def test_write_failure_leaves_no_partial_file_and_rescues_the_password(tmp_path, monkeypatch):

    vault = Vault(tmp_path / "vault")
    vault.save(created(instance_id="00000000"))  # the folder exists, later writes fail

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(VaultWriteFailed) as info:
        vault.save(created())
    assert [p.name for p in (tmp_path / "vault").iterdir()] == ["00000000-my-demo-db.txt"]
    rescue = info.value.rescue_path
    assert rescue.parent == tmp_path and rescue.name == "aura_nb-rescued-1a2b3c4d-my-demo-db.txt"
    assert stat.S_IMODE(rescue.stat().st_mode) == 0o600
    assert dotenv_values(rescue)["NEO4J_PASSWORD"] == TRICKY
    assert info.value.created.id == "1a2b3c4d"
    message = str(info.value)
    assert TRICKY not in message and "No space left on device" in message
    assert str(rescue) in message and "\n" not in message


def test_vault_below_a_regular_file_is_refused_by_the_probe_and_rescued_beside_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    vault = Vault(blocker / "vault")
    with pytest.raises(VaultUnwritable, match="cannot be written.*nothing was sent.*AURA_VAULT_DIR"):
        vault.check_writable()
    with pytest.raises(VaultWriteFailed) as info:
        vault.save(created())
    # beside the intended place: the nearest folder that exists
    assert info.value.rescue_path.parent == tmp_path
    assert dotenv_values(info.value.rescue_path)["NEO4J_PASSWORD"] == TRICKY


def test_rescue_falls_back_to_nb_home_then_to_the_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("AURA_NB_HOME", str(tmp_path / "home"))
    vault = Vault(blocker / "vault")
    real_open = os.open

    def full_beside_the_vault(path, flags, *args, **kwargs):  # the nearest folder takes no file
        if Path(path).parent == tmp_path:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full_beside_the_vault)
    with pytest.raises(VaultWriteFailed) as info:
        vault.save(created())
    assert info.value.rescue_path.parent == tmp_path / "home"
    monkeypatch.setenv("AURA_NB_HOME", str(blocker / "home"))
    with pytest.raises(VaultWriteFailed) as info:
        vault.save(created())
    assert info.value.rescue_path is None
    assert info.value.created.password == TRICKY
    assert TRICKY not in str(info.value) and "shown once" in str(info.value)


def test_check_writable_creates_a_private_folder_and_leaves_no_probe(tmp_path):
    vault = Vault(tmp_path / "new" / "vault")
    vault.check_writable()
    assert stat.S_IMODE(vault.directory.stat().st_mode) == 0o700
    assert list(vault.directory.iterdir()) == []


def test_a_shared_folder_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    vault = Vault(shared)
    vault.check_writable()
    path = vault.save(created())
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("bad_id", ["../victim/a", "..", "1a2b3c4d/../../x", "*", "", "1A2B3C4D5"])
def test_ids_that_are_not_instance_ids_never_become_paths(tmp_path, bad_id):
    outside = tmp_path / "victim"
    outside.mkdir()
    (outside / "a-keep.txt").write_text("keep")
    vault = Vault(tmp_path / "vault")
    with pytest.raises(InvalidId, match="not a valid instance id"):
        vault.save(created(instance_id=bad_id))
    with pytest.raises(InvalidId):
        vault.path_for(bad_id, "x")
    assert bad_id not in vault
    assert (outside / "a-keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim"]


def test_write_private_from_many_threads_leaves_one_complete_file(tmp_path):
    import threading

    from aura_nb.core.vault import write_private

    target = tmp_path / "deep" / "file.txt"
    texts = [f"version {n}\n" * 1000 for n in range(8)]
    threads = [threading.Thread(target=write_private, args=(target, t)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text() in texts
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]
