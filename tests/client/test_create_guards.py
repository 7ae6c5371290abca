"""What the core checks before and after a create: live names, a writable vault, safe ids."""

from __future__ import annotations

import stat
import unicodedata

import pytest

from aura_nb.core.errors import AmbiguousName, VaultUnwritable, VaultWriteFailed

from tests.helpers.simulator import requests_made


def test_find_live_instances_compares_nfc_names_and_leaves_out_destroying(sim, client,
                                                                         make_spec):
    nfc = unicodedata.normalize("NFC", "nb-café")
    nfd = unicodedata.normalize("NFD", "nb-café")
    assert nfc != nfd
    first = client.create_instance(make_spec(nfc))
    sim.advance(10)
    second = client.create_instance(make_spec(nfd))
    doomed = client.create_instance(make_spec(nfc))
    sim.advance(200)
    client.delete_instance(doomed.id)
    client.create_instance(make_spec("nb-other"))

    before = requests_made(sim)["GET /v1/instances"]
    live = client.find_live_instances(nfd, make_spec().tenant_id)
    assert [i.id for i in live] == [first.id, second.id]  # oldest first, destroying left out
    assert requests_made(sim)["GET /v1/instances"] == before + 1  # one listing
    with pytest.raises(AmbiguousName) as info:
        client.find_live_instance(nfc)
    assert set(info.value.candidates) == {first.id, second.id}
    assert client.find_live_instance("nb-other").name == "nb-other"
    assert client.find_live_instance("nb-nobody") is None


def test_create_refuses_to_send_when_the_vault_cannot_be_written(sim, make_client,
                                                                make_spec, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    client = make_client(sim, vault_dir=blocker / "vault")
    with pytest.raises(VaultUnwritable) as info:
        client.create_instance(make_spec("nb-unsaved"))
    assert "nothing was sent" in str(info.value) and "\n" not in str(info.value)
    assert requests_made(sim)["POST /v1/instances"] == 0


def test_a_save_failing_after_the_create_rescues_the_password(sim, client, make_spec,
                                                             monkeypatch, tmp_path,
                                                             simulator_secrets):
    client.vault.check_writable()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("aura_nb.core.vault.write_private", full_disk)
    with pytest.raises(VaultWriteFailed) as info:
        client.create_instance(make_spec("nb-rescued"))
    rescue = info.value.rescue_path
    assert rescue.parent == tmp_path and stat.S_IMODE(rescue.stat().st_mode) == 0o600
    assert f"NEO4J_PASSWORD={info.value.created.password}" in rescue.read_text()
    assert not any(secret in str(info.value) for secret in simulator_secrets(sim))


def test_show_once_takes_the_unsaved_password_and_the_create_returns(sim, client, make_spec,
                                                                      monkeypatch):
    """The one way a front-end hears of a created instance whose password the vault missed."""
    monkeypatch.setattr("aura_nb.core.vault.write_private",
                        lambda *args, **kwargs: (_ for _ in ()).throw(OSError(28, "disk full")))
    shown = []
    created = client.create_instance(make_spec("nb-shown"), show_once=shown.append)
    assert [problem.created.id for problem in shown] == [created.id]
    assert created.vault_path == shown[0].rescue_path and created.vault_path.exists()
    assert requests_made(sim)["POST /v1/instances"] == 1


def test_the_client_satisfies_the_typed_seams(client):
    from aura_nb.core.protocols import StatusSource

    assert isinstance(client, StatusSource)
    assert not isinstance(object(), StatusSource)
