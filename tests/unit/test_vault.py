"""The vault: console-format files, mode 0600, atomic writes, read back unchanged."""

from __future__ import annotations

import stat

import pytest
from dotenv import dotenv_values

from aura_nb.errors import VaultEntryNotFound
from aura_nb.models import CreatedInstance
from aura_nb.vault import Vault

TRICKY = "p'a\"s s#w=o$rd\\x{y}"


def created(instance_id="1a2b3c4d", name="my demo/db", password=TRICKY):
    return CreatedInstance.from_api({
        "id": instance_id, "name": name, "tenant_id": "t-1", "cloud_provider": "gcp",
        "region": "europe-west1", "type": "professional-db",
        "connection_url": f"neo4j+s://{instance_id}.databases.neo4j.io", "username": "neo4j",
        "password": password, "created_at": "2025-06-02T09:00:00Z"})


def test_save_writes_the_console_format_with_mode_0600(tmp_path):
    vault = Vault(tmp_path / "vault")
    path = vault.save(created())
    assert path.name == "1a2b3c4d-my-demo-db.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    values = dotenv_values(path)
    assert values == {
        "NEO4J_URI": "neo4j+s://1a2b3c4d.databases.neo4j.io", "NEO4J_USERNAME": "neo4j",
        "NEO4J_PASSWORD": TRICKY, "AURA_INSTANCEID": "1a2b3c4d",
        "AURA_INSTANCENAME": "my demo/db", "AURA_TENANTID": "t-1",
        "AURA_CREATED_AT": "2025-06-02T09:00:00Z"}
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


def test_write_failure_leaves_no_partial_file(tmp_path, monkeypatch):
    import os

    vault = Vault(tmp_path)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        vault.save(created())
    assert list(tmp_path.iterdir()) == []


def test_write_private_from_many_threads_leaves_one_complete_file(tmp_path):
    import threading

    from aura_nb.vault import write_private

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
