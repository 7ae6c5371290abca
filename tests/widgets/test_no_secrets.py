"""End to end through every widget: no secret value in any repr, widget state, output or log."""

from __future__ import annotations

from aura_nb.widgets import (CreateInstanceForm, CredentialsForm, InstanceStatus, InstanceTable,
                             TenantPicker)


def test_a_whole_session_leaves_no_secret_behind(sim, clean_env, assert_no_secrets,
                                                 simulator_secrets, widget_states, tmp_path,
                                                 monkeypatch):
    monkeypatch.setenv("AURA_VAULT_DIR", str(tmp_path / "vault"))
    creds = CredentialsForm(base_url=sim.base_url)
    picker = TenantPicker()
    creds.on_submit(picker.set_client)
    creds.client_id_field.value = sim.client_id
    creds.secret_field.value = sim.client_secret
    creds.connect_button.click()
    assert creds.join(30)  # Connect works in a background thread
    client = creds.client
    picker.dropdown.label = "Learning Project"

    form = CreateInstanceForm(client, picker.value, name="secret-scan", reveal_seconds=30)
    form.dropdowns["type"].value = "professional-db"
    form.create_button.click()
    password = client.vault.load(form.value.id).password
    form.reveal_button.click()
    assert password in widget_states(form)  # shown on request ...
    form.reveal_button.click()
    assert password not in widget_states(form)  # ... and gone again

    sim.advance(200)
    status = InstanceStatus(client, form.value.id).run()
    table = InstanceTable(client, picker.value)
    table.pause(form.value.id)
    print(creds, picker, form, status, table)  # what a cell showing them would print

    secrets = simulator_secrets(sim)
    assert sim.client_secret in secrets and password in secrets
    assert any(len(s) > 20 and s not in (sim.client_secret, password) for s in secrets)  # a token
    texts = tuple(w.status_text for w in (creds, picker, form, status, table))
    assert_no_secrets(sim, creds, picker, form, status, table, texts=texts)


def test_the_scan_finds_a_planted_secret(sim, assert_no_secrets):
    import ipywidgets as widgets
    import pytest

    root = widgets.Button(description="innocent")
    planted = widgets.Label(value=f"oops {sim.client_secret}")  # any live widget counts
    with pytest.raises(AssertionError, match="widget state"):
        assert_no_secrets(sim, root)
    planted.close()
    assert_no_secrets(sim, root)
    print(sim.client_secret)
    with pytest.raises(AssertionError, match="stdout"):
        assert_no_secrets(sim, root)
