"""CredentialsForm: pre-fill, Connect, errors in the form, save to .env."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from dotenv import dotenv_values

from aura_nb.widgets import CredentialsForm

from tests.helpers.clock import wait_until


def fill(form, sim, secret=None):
    form.client_id_field.value = sim.client_id
    form.secret_field.value = sim.client_secret if secret is None else secret


def test_prefills_id_and_url_and_only_says_whether_a_secret_is_set(clean_env, monkeypatch, widget_states):
    monkeypatch.setenv("AURA_CLIENT_ID", "env-client")
    monkeypatch.setenv("AURA_CLIENT_SECRET", "env-secret-value")
    monkeypatch.setenv("AURA_BASE_URL", "https://api.example.test")
    form = CredentialsForm()
    assert form.client_id_field.value == "env-client"
    assert form.base_url_field.value == "https://api.example.test"
    assert form.secret_field.value == "" and "set" in form.secret_hint.value
    assert "not set" not in form.secret_hint.value
    assert not form.simulator_checkbox.value  # real credentials are configured
    assert "env-secret-value" not in widget_states(form) + repr(form)
    assert repr(form) == "CredentialsForm(mode='real', state='ready')"


def test_the_mode_shown_before_connecting_is_the_clients_reading(clean_env, monkeypatch):
    """The form's repr asks credentials.mode_for, as the client will (#21): AURA_NB_MODE=real
    makes a loopback URL real; a bad AURA_NB_MODE is reported on Connect, not by the repr."""
    monkeypatch.setenv("AURA_CLIENT_ID", "env-client")
    form = CredentialsForm(base_url="http://127.0.0.1:8080")
    assert repr(form) == "CredentialsForm(mode='simulator', state='ready')"
    monkeypatch.setenv("AURA_NB_MODE", "real")
    assert repr(form) == "CredentialsForm(mode='real', state='ready')"
    monkeypatch.setenv("AURA_NB_MODE", "sometimes")
    assert repr(form) == "CredentialsForm(mode='unknown', state='ready')"


def test_prefills_from_dotenv_and_defaults_to_the_simulator_when_nothing_is_set(clean_env):
    assert CredentialsForm().simulator_checkbox.value  # nothing configured anywhere
    (clean_env / ".env").write_text("AURA_CLIENT_ID=file-client\n")
    form = CredentialsForm()
    assert form.client_id_field.value == "file-client" and "not set" in form.secret_hint.value
    assert not form.simulator_checkbox.value


def test_connect_gives_a_ready_client_and_blanks_the_secret(sim, clean_env, assert_no_secrets):
    form = CredentialsForm(base_url=sim.base_url)
    received = []
    form.on_submit(received.append)
    fill(form, sim)

    form.connect_button.click()
    assert form.join(30)  # Connect works in a background thread

    assert form.secret_field.value == ""
    assert form.state == "connected" and form.client is not None and received == [form.client]
    assert form.client.mode == "simulator" and "3 tenants" in form.status_text
    assert f"client {sim.client_id} " in form.status_text  # in full: an id is no secret
    assert "\u2026" not in form.status_text
    assert [t.name for t in form.client.list_tenants()][0] == "Learning Project"
    assert form.client.token_requests == 1
    assert not form.connect_button.disabled
    assert repr(form) == "CredentialsForm(mode='simulator', state='connected')"
    assert_no_secrets(sim, form)


def test_wrong_secret_is_reported_in_the_form_and_leaves_no_client(sim, clean_env, assert_no_secrets):
    form = CredentialsForm(base_url=sim.base_url)
    fill(form, sim)
    form.submit()
    assert form.client is not None
    fill(form, sim, secret="definitely-wrong")

    assert form.submit() is None

    assert form.client is None and form.value is None and form.state == "error"
    assert "401" in form.status_text and "the secret typed above" in form.status_text
    assert f"client id {sim.client_id!r}" in form.status_text  # in full: not a secret
    assert "AURA_" not in form.status_text and "environment" not in form.status_text
    assert "\n" not in form.status_text and "Traceback" not in form.status_text
    assert form.secret_field.value == "" and not form.connect_button.disabled
    assert_no_secrets(sim, form, texts=(form.status_text,))


def test_missing_credentials_and_bad_url_are_one_line_errors(clean_env):
    form = CredentialsForm(base_url="https://api.example.test")
    form.submit()
    assert form.state == "error" and "AURA_CLIENT_ID" in form.status_text
    form.client_id_field.value = "someone"
    form.secret_field.value = "something"
    form.base_url_field.value = "http://example.test"  # plain http off loopback
    form.submit()
    assert form.state == "error" and "https" in form.status_text and form.secret_field.value == ""


def test_token_endpoint_faults_show_in_the_form(sim, clean_env):
    form = CredentialsForm(base_url=sim.base_url)
    for action, expected in (("status", "503"), ("drop", "")):
        sim.set_faults(script=[{"method": "POST", "path": "/oauth/token", "action": action,
                                      "status": 503, "times": 5}])
        fill(form, sim)
        form.connect_button.click()
        assert form.join(30)  # Connect works in a background thread
        assert form.state == "error" and form.client is None, action
        assert expected in form.status_text and form.status_text
        assert form.secret_field.value == ""
    sim.set_faults(script=[])
    fill(form, sim)
    form.connect_button.click()
    assert form.join(30)  # Connect works in a background thread
    assert form.state == "connected"


def test_save_to_dotenv_keeps_other_lines_and_sets_mode_0600(sim, clean_env, simulator_secrets):
    env_file = clean_env / ".env"
    env_file.write_text("# my settings\nOTHER_TOOL=keep me\nAURA_CLIENT_ID=old-id\n")
    os.chmod(env_file, 0o644)
    form = CredentialsForm(base_url=sim.base_url)
    assert form.client_id_field.value == "old-id"
    fill(form, sim)
    form.save_checkbox.value = True

    form.connect_button.click()
    assert form.join(30)  # Connect works in a background thread

    assert form.state == "connected"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    text = env_file.read_text()
    assert text.startswith("# my settings\nOTHER_TOOL=keep me\n")
    values = dotenv_values(env_file)
    assert values["OTHER_TOOL"] == "keep me"
    assert values["AURA_CLIENT_ID"] == sim.client_id
    assert values["AURA_CLIENT_SECRET"] == sim.client_secret
    assert values["AURA_BASE_URL"] == sim.base_url
    assert sorted(p.name for p in clean_env.iterdir()) == [".env"]  # no temporary file left
    assert str(env_file) in form.status_text
    assert not any(secret in form.status_text for secret in simulator_secrets(sim))


def test_failed_connect_never_writes_dotenv(sim, clean_env):
    env_file = clean_env / ".env"
    env_file.write_text("OTHER_TOOL=1\n")
    form = CredentialsForm(base_url=sim.base_url)
    fill(form, sim, secret="wrong")
    form.save_checkbox.value = True
    form.submit()
    assert form.state == "error" and env_file.read_text() == "OTHER_TOOL=1\n"


def test_new_dotenv_is_created_0600(sim, clean_env):
    form = CredentialsForm(base_url=sim.base_url, env_file=clean_env / "sub.env")
    fill(form, sim)
    form.save_checkbox.value = True
    form.submit()
    assert stat.S_IMODE(os.stat(clean_env / "sub.env").st_mode) == 0o600
    assert dotenv_values(clean_env / "sub.env")["AURA_CLIENT_SECRET"] == sim.client_secret


def test_local_simulator_switch_uses_the_embedded_simulator(clean_env):
    form = CredentialsForm(use_simulator=True)
    assert form.client_id_field.disabled and form.secret_field.disabled and form.save_checkbox.disabled
    form.connect_button.click()
    assert form.join(30)  # Connect works in a background thread
    assert form.state == "connected" and form.client.mode == "simulator"
    assert "simulator" in form.status_text.lower()
    form.simulator_checkbox.value = False
    assert not form.client_id_field.disabled


def test_connect_uses_the_interactive_budget(sim, clean_env):
    form = CredentialsForm(base_url=sim.base_url)
    fill(form, sim)
    assert form.submit().timeout == 10.0


@pytest.fixture
def silent_server():
    """A loopback port that accepts connections and never answers: ``(url, close)``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}", server.close
    server.close()


def test_a_silent_server_shows_progress_and_cancel_frees_the_form(sim, clean_env, silent_server):
    url, close_server = silent_server
    form = CredentialsForm(base_url=url)
    fill(form, sim)
    received = []
    form.on_submit(received.append)

    form.connect_button.click()

    assert form.state == "working" and form.connect_button.disabled
    assert form.cancel_button.layout.display is None
    wait_until(lambda: "1 s" in form.status_text, 5)
    assert "Connecting" in form.status_text and "1 s" in form.status_text  # it counts

    form.cancel_button.click()

    assert form.state == "cancelled" and not form.connect_button.disabled
    assert form.cancel_button.layout.display == "none" and "Stopped waiting" in form.status_text
    close_server()  # the abandoned attempt now fails fast; its late outcome changes nothing
    assert form.join(30)
    assert form.state == "cancelled" and form.client is None and received == []
