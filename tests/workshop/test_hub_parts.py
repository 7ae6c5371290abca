"""The parts of ``provision --hub`` that need no hub: the token, the class's roster, the settings
each attendee's ``.env`` carries, the tutorial instance it names, and the vault reading it.
(The whole class on a real hub: ``test_hub_journey.py``, slow.)"""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from aura_nb.core import config
from aura_nb.core.envfile import env_text
from aura_nb.core.errors import VaultEntryNotFound
from aura_nb.core.vault import Vault
from aura_nb.teaching import tutorial
from aura_nb.workshop.__main__ import main
from aura_nb.workshop.hub import HubError, HubUser, attendee_settings, hub_roster, hub_token
from aura_nb.workshop.roster import parse_roster

from tests.helpers.simulator import requests_made


def test_the_token_comes_from_its_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(HubError, match="set JUPYTERHUB_API_TOKEN or pass --hub-token-file") as missing:
        hub_token()
    assert "list:users, servers, access:servers" in str(missing.value)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "from-the-environment")
    assert hub_token() == "from-the-environment"
    token = tmp_path / "token"
    token.write_text("from-the-file\n")
    assert hub_token(token) == "from-the-file"
    token.write_text("\n")
    with pytest.raises(HubError, match="is empty"):
        hub_token(token)
    with pytest.raises(HubError, match="cannot read the hub token file"):
        hub_token(tmp_path / "nope")


class FakeHub:
    url = "http://127.0.0.1:8000"

    def users(self):
        return [HubUser("ada"), HubUser("grace"), HubUser("teacher", admin=True)]


def test_the_class_is_the_hubs_users_who_are_not_admins_or_the_rosters_hub_users():
    assert [(a.name, a.hub_user) for a in hub_roster(FakeHub(), None)] == [("ada", "ada"), ("grace", "grace")]
    roster = parse_roster("attendee,email,hub_user\nAda Lovelace,a@x.org,ada\ngrace,,\n")
    assert [(a.name, a.hub_user) for a in hub_roster(FakeHub(), roster)] == [("Ada Lovelace", "ada"),
                                                                           ("grace", "grace")]
    roster = parse_roster("attendee,email,hub_user\nAda Lovelace,a@x.org,ada\nGrace,,\n")
    with pytest.raises(HubError, match=r"has no user 'Grace' \(line 3\); fix the roster's hub_user column"):
        hub_roster(FakeHub(), roster)


def _client(mode: str, base_url: str = "http://127.0.0.1:8787"):
    credentials = SimpleNamespace(base_url=base_url, client_id="simulator-client", client_secret="s3cret")
    return SimpleNamespace(mode=mode, credentials=credentials, speed=10.0)


def test_attendee_settings_on_a_simulator_reached_by_name_allow_plain_http():
    settings, source = attendee_settings(_client("simulator"), api_url="http://room.example:8787/")
    assert settings == {"AURA_BASE_URL": "http://room.example:8787", "AURA_CLIENT_ID": "simulator-client",
                        "AURA_CLIENT_SECRET": "s3cret", "AURA_NB_MODE": "real", "AURA_ALLOW_HTTP": "1"}
    assert "s3cret" not in source and "http://room.example:8787" in source
    loopback, _ = attendee_settings(_client("simulator"))
    assert "AURA_ALLOW_HTTP" not in loopback


def test_the_instructors_real_key_is_never_handed_out_unasked(tmp_path):
    settings, source = attendee_settings(_client("real", "https://api.neo4j.io"))
    assert settings == {} and "--attendee-api-env" in source
    key = tmp_path / "class.env"
    key.write_text(env_text({"AURA_CLIENT_ID": "class-id", "AURA_CLIENT_SECRET": "class-secret", "OTHER": "x"}))
    settings, source = attendee_settings(_client("real", "https://api.neo4j.io"), api_env=key)
    assert settings == {"AURA_CLIENT_ID": "class-id", "AURA_CLIENT_SECRET": "class-secret"}
    key.write_text("AURA_CLIENT_ID=only-an-id\n")
    with pytest.raises(HubError, match="needs AURA_CLIENT_ID and AURA_CLIENT_SECRET"):
        attendee_settings(_client("real"), api_env=key)


def test_the_tutorial_instance_is_the_one_the_hand_out_names(clean_env):
    assert tutorial.tutorial_name() == "nb-tutorial" == config.tutorial_instance()
    (clean_env / ".env").write_text("AURA_TUTORIAL_INSTANCE=cls-ada\n")
    assert tutorial.tutorial_name() == "cls-ada"
    tenant = SimpleNamespace(id="t1", name="T", instance_configurations=[])
    with pytest.raises(Exception):  # no configuration offered; the name is what matters above
        tutorial.tutorial_spec(tenant)


def test_the_vault_reads_an_instance_handed_out_in_the_env(clean_env, tmp_path):
    vault = Vault(tmp_path / "vault")
    with pytest.raises(VaultEntryNotFound):
        vault.load("1a2b3c4d")
    (clean_env / ".env").write_text(env_text({
        "NEO4J_URI": "neo4j+s://1a2b3c4d.databases.neo4j.io", "NEO4J_USERNAME": "neo4j",
        "NEO4J_PASSWORD": "pa$$ word", "AURA_INSTANCEID": "1a2b3c4d", "AURA_INSTANCENAME": "cls-ada"}))
    entry = vault.load("1a2b3c4d")
    assert (entry.password, entry.instance_name, entry.path) == ("pa$$ word", "cls-ada", clean_env / ".env")
    assert "1a2b3c4d" in vault and "9f9f9f9f" not in vault
    assert vault.entries() == []  # the hand-out is read, never listed or cleaned up as the vault's own


@pytest.mark.parametrize("argv, message", [
    (["provision", "--prefix", "hub1"], "error: pass --roster CSV (or --hub URL: the class is then the hub's users)"),
    (["provision", "--prefix", "hub1", "--hub", "http://127.0.0.1:9"],
     "error: no hub token: set JUPYTERHUB_API_TOKEN or pass --hub-token-file FILE"),
])
def test_hub_input_errors_are_one_line_and_send_nothing(env, home, monkeypatch, argv, message):
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out=out, err=err) == 2
    lines = err.getvalue().splitlines()
    assert lines[-1].startswith(message) and out.getvalue() == ""
    assert not any(key.startswith("POST") for key in requests_made(env))


def test_a_hub_that_does_not_answer_is_one_line_before_any_create(env, home, monkeypatch, tmp_path):
    token = tmp_path / "token"
    token.write_text("t0ken-value\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(["provision", "--prefix", "hub2", "--hub", "http://127.0.0.1:9", "--hub-token-file", str(token)],
                out=out, err=err)
    assert code == 2
    last = err.getvalue().splitlines()[-1]
    assert last.startswith("error: the hub at http://127.0.0.1:9 did not answer GET /hub/api/users")
    assert "t0ken-value" not in err.getvalue() + out.getvalue()
    assert not any(key.startswith("POST") for key in requests_made(env))


def test_the_server_extension_writes_only_a_folders_env_under_the_servers_root(tmp_path):
    pytest.importorskip("jupyter_server")
    from tornado.web import HTTPError

    from aura_nb.workshop.hub_server import EnvFileHandler, env_file_state

    root = tmp_path / "home"
    (root / "aura-cls").mkdir(parents=True)
    (root / "escape").symlink_to(tmp_path)
    handler = SimpleNamespace(settings={"server_root_dir": str(root)})
    assert EnvFileHandler._target(handler, "aura-cls/") == root / "aura-cls" / ".env"
    for bad in ("", "/", "aura-cls/..", "../x", ".ssh", "aura-cls/.git", "escape"):
        with pytest.raises(HTTPError):
            EnvFileHandler._target(handler, bad)
    assert env_file_state(root / "aura-cls" / ".env") == {"exists": False, "mode": None, "sha256": None}


def test_a_simulator_that_dies_with_the_command_is_never_handed_out(clean_env, monkeypatch):
    from aura_nb import session

    sim = session.embedded_simulator()
    try:
        with pytest.raises(HubError, match="runs a simulator of its own that stops when it ends"):
            attendee_settings(_client("simulator", sim.base_url))
    finally:
        session.stop_embedded_simulator()
