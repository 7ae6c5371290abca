"""One writer of KEY=value files: the vault, save_env and the hand-outs read back exactly."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aura_nb.core.credentials import save_env
from aura_nb.core.envfile import env_text, read_env, read_env_text, set_env_values
from aura_nb.core.vault import Vault
from aura_nb.workshop import AttendeeRecord
from aura_nb.workshop.handouts import write_handouts

AWKWARD = ["pl41n", "h#sh", "two  spaces ", " lead", "it's", 'say "hi"', "new\nline", "cr\rlf",
           "${HOME}", "$USER-x", "back\\slash", "back\\'quote", 'back\\"dq', "tab\tx", "\\n", "",
           "=eq", "ünï-çødé", "#start", "end#", "a'b\"c\\d\ne$f"]


@pytest.mark.parametrize("value", AWKWARD)
def test_every_value_reads_back_exactly_and_is_never_expanded(value, monkeypatch):
    monkeypatch.setenv("HOME", "/expanded-home")
    text = env_text({"K": value, "NEXT": "after"}, ["a comment"])
    assert read_env_text(text) == {"K": value, "NEXT": "after"}
    assert text.count("\n") == 2 + 1                     # one line per key: no value spills over


def test_set_env_values_keeps_other_lines_and_replaces_in_place():
    text = "# mine\nA=1\n\nexport B='old'\nC=${HOME}\nB=again\n"
    out = set_env_values(text, {"B": "n#w v'l", "D": "$x"})
    assert out.startswith("# mine\nA=1\n\n")
    assert "C=${HOME}\n" in out and out.count("B=") == 1
    assert read_env_text(out) == {"A": "1", "B": "n#w v'l", "C": "${HOME}", "D": "$x"}


@pytest.mark.parametrize("secret", ["#not-a-comment", "x y 'z'", "${AURA_CLIENT_ID}", 'q"\\\nnl'])
def test_save_env_round_trips_a_secret(tmp_path, secret):
    path = tmp_path / ".env"
    path.write_text("# keep me\nOTHER=1\n")
    save_env(path, {"AURA_CLIENT_SECRET": secret, "AURA_CLIENT_ID": "id-7"})
    save_env(path, {"AURA_CLIENT_SECRET": secret})
    assert read_env(path) == {"OTHER": "1", "AURA_CLIENT_SECRET": secret, "AURA_CLIENT_ID": "id-7"}
    assert path.read_text().startswith("# keep me\n") and (path.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("password", ["p#ss w0rd", "${HOME}x", "it's \"q\"", "two\nlines"])
def test_vault_and_handout_hold_the_same_password_exactly(tmp_path, password):
    created = SimpleNamespace(id="0a1b2c3d", name="cls-x", connection_url="neo4j+s://0a1b2c3d.example",
                              username="neo4j", password=password, tenant_id="t-9", created_at="")
    vault = Vault(tmp_path / "vault")
    vault.save(created)
    assert vault.load("0a1b2c3d").password == password
    record = AttendeeRecord("Zoë\nO'Neil", "cls-x", instance_id="0a1b2c3d", status="running",
                            connection_url=created.connection_url, password_captured=True)
    result = write_handouts(tmp_path / "h", "cls", [record], lambda r: ("neo4j", vault.load(r.instance_id).password))
    values = read_env(result.files[record.attendee])
    assert values["NEO4J_PASSWORD"] == password and values["AURA_INSTANCEID"] == "0a1b2c3d"
    assert set(values) == {"NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "AURA_INSTANCEID", "AURA_INSTANCENAME"}
