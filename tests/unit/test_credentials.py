"""Credential and configuration resolution: explicit -> environment -> .env, aliases, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aura_nb.core import config, display
from aura_nb.core.credentials import (
    ClientCredentials,
    credentials_configured,
    is_loopback_url,
    normalize_base_url,
    resolve_credentials,
)
from aura_nb.core.errors import ConfigurationError, CredentialsUnavailable


def write_env(folder, **values):
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def test_explicit_arguments_win_over_environment_and_dotenv(clean_env, monkeypatch):
    write_env(clean_env, AURA_CLIENT_ID="file-id", AURA_CLIENT_SECRET="file-secret")
    monkeypatch.setenv("AURA_CLIENT_ID", "env-id")
    monkeypatch.setenv("AURA_CLIENT_SECRET", "env-secret")
    creds = resolve_credentials("arg-id", "arg-secret", "https://example.neo4j.io/")
    assert (creds.client_id, creds.client_secret) == ("arg-id", "arg-secret")
    assert creds.base_url == "https://example.neo4j.io"
    assert creds.source == "argument"


def test_environment_wins_over_dotenv_value_by_value(clean_env, monkeypatch):
    write_env(clean_env, AURA_CLIENT_ID="file-id", AURA_CLIENT_SECRET="file-secret",
              AURA_BASE_URL="http://127.0.0.1:9999")
    monkeypatch.setenv("AURA_CLIENT_ID", "env-id")
    creds = resolve_credentials()
    assert creds.client_id == "env-id"
    assert creds.client_secret == "file-secret"
    assert creds.base_url == "http://127.0.0.1:9999"
    assert creds.source == ".env+environment"
    assert creds.mode == "simulator"


def test_dotenv_is_found_from_a_subfolder_and_not_copied_to_environ(clean_env, monkeypatch):
    write_env(clean_env, AURA_CLIENT_ID="file-id", AURA_CLIENT_SECRET="file-secret")
    sub = clean_env / "notebooks" / "deeper"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    creds = resolve_credentials()
    assert creds.client_id == "file-id"
    assert creds.mode == "real"
    import os
    assert "AURA_CLIENT_ID" not in os.environ


def test_gds_aliases_are_accepted_and_the_main_name_wins(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_API_CLIENT_ID", "alias-id")
    monkeypatch.setenv("AURA_API_CLIENT_SECRET", "alias-secret")
    creds = resolve_credentials()
    assert (creds.client_id, creds.client_secret) == ("alias-id", "alias-secret")
    monkeypatch.setenv("AURA_CLIENT_ID", "main-id")
    assert resolve_credentials().client_id == "main-id"


def test_values_are_stripped_and_blank_counts_as_unset(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_CLIENT_ID", "  spaced-id \n")
    monkeypatch.setenv("AURA_CLIENT_SECRET", "   ")
    write_env(clean_env, AURA_CLIENT_SECRET="from-file")
    creds = resolve_credentials()
    assert creds.client_id == "spaced-id"
    assert creds.client_secret == "from-file"


def test_nothing_configured_names_what_was_looked_for_and_no_values(clean_env):
    with pytest.raises(CredentialsUnavailable) as info:
        resolve_credentials()
    text = str(info.value)
    for name in ("AURA_CLIENT_ID", "AURA_API_CLIENT_ID", "AURA_CLIENT_SECRET",
                 "AURA_API_CLIENT_SECRET", "environment", ".env"):
        assert name in text
    assert "\n" not in text
    assert not credentials_configured()


def test_half_configured_says_which_is_missing_without_showing_the_value(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_CLIENT_SECRET", "s3cr3t-value-xyz")
    with pytest.raises(CredentialsUnavailable) as info:
        resolve_credentials()
    text = str(info.value)
    assert "looked for AURA_CLIENT_ID/AURA_API_CLIENT_ID" in text
    assert "AURA_CLIENT_SECRET is set" in text
    assert "s3cr3t-value-xyz" not in text


def test_dotenv_location_is_named_when_it_exists_but_lacks_the_values(clean_env):
    write_env(clean_env, AURA_TENANT="Project")
    with pytest.raises(CredentialsUnavailable) as info:
        resolve_credentials()
    assert str(clean_env / ".env") in str(info.value)


@pytest.mark.parametrize("source, text", [
    ("argument", "credentials from arguments"),
    ("environment", "credentials from the environment"),
    (".env", "credentials from .env"),
    ("argument+environment", "credentials from arguments and the environment"),
    ("simulator default", "the simulator's default client"),
])
def test_source_text_words_where_the_credentials_came_from(source, text):
    creds = ClientCredentials("id", "secret-never-shown", source=source)
    assert creds.source_text == text
    assert "secret-never-shown" not in creds.source_text + repr(creds)


def test_repr_masks_the_secret_with_the_kit_mask_and_shows_the_id():
    creds = ClientCredentials("abcdefgh-1234", "very-secret-value", "https://api.neo4j.io")
    text = repr(creds) + str(creds)
    assert "very-secret-value" not in text
    assert "client_id='abcdefgh-1234'" in text  # a client id is not a secret
    assert f"client_secret='{display.MASKED}'" in text


@pytest.mark.parametrize("raw, expected", [
    ("https://api.neo4j.io", "https://api.neo4j.io"),
    ("https://api.neo4j.io/", "https://api.neo4j.io"),
    ("https://api.neo4j.io/v1", "https://api.neo4j.io"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("http://localhost:1234", "http://localhost:1234"),
    (" https://api.neo4j.io ", "https://api.neo4j.io"),
])
def test_base_url_is_normalised(raw, expected):
    assert normalize_base_url(raw) == expected


@pytest.mark.parametrize("raw", [
    "api.neo4j.io", "ftp://api.neo4j.io", "https://api.neo4j.io/v1/tenants",
    "http://api.neo4j.io", "https://user:pw@api.neo4j.io", "", "https://api.neo4j.io?x=1",
])
def test_bad_base_urls_are_refused_with_a_configuration_error(raw):
    with pytest.raises(ConfigurationError) as info:
        normalize_base_url(raw)
    assert "\n" not in str(info.value)
    assert ":pw@" not in str(info.value)


def test_plain_http_beyond_loopback_needs_aura_allow_http(clean_env, monkeypatch):
    with pytest.raises(ConfigurationError) as info:
        normalize_base_url("http://10.0.0.5:8787")
    assert "AURA_ALLOW_HTTP=1" in str(info.value) and "\n" not in str(info.value)
    monkeypatch.setenv("AURA_ALLOW_HTTP", "1")
    assert normalize_base_url("http://10.0.0.5:8787/") == "http://10.0.0.5:8787"
    creds = resolve_credentials("id", "secret", "http://room.example:8787")
    assert creds.mode == "simulator"  # the real API is https only
    assert resolve_credentials("id", "secret", "https://api.neo4j.io").mode == "real"
    monkeypatch.setenv("AURA_ALLOW_HTTP", "0")
    with pytest.raises(ConfigurationError, match="AURA_ALLOW_HTTP"):
        resolve_credentials("id", "secret", "http://room.example:8787")


@pytest.mark.parametrize("value, allowed", [("1", True), ("yes", True), ("TRUE", True),
                                            ("0", False), ("off", False), ("", False)])
def test_allow_http_reads_common_spellings(clean_env, monkeypatch, value, allowed):
    monkeypatch.setenv("AURA_ALLOW_HTTP", value)
    assert config.allow_http() is allowed


def test_allow_http_refuses_other_values(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_ALLOW_HTTP", "please")
    with pytest.raises(ConfigurationError, match="AURA_ALLOW_HTTP must be 1 or 0"):
        config.allow_http()


def test_loopback_detection():
    assert is_loopback_url("http://127.0.0.1:1")
    assert is_loopback_url("http://[::1]:1")
    assert is_loopback_url("http://localhost:1")
    assert not is_loopback_url("https://api.neo4j.io")
    assert not is_loopback_url("http://10.0.0.1:80")


def test_numeric_settings_have_defaults_and_clear_errors(clean_env, monkeypatch):
    assert config.timeout() == 30
    assert config.rate_limit() == 125
    assert config.simulator_speed() == 10
    monkeypatch.setenv("AURA_RATE_LIMIT", "0")
    assert config.rate_limit() == 0
    monkeypatch.setenv("AURA_TIMEOUT", "soon")
    with pytest.raises(ConfigurationError, match="AURA_TIMEOUT must be a number"):
        config.timeout()
    monkeypatch.setenv("AURA_RATE_LIMIT", "-5")
    with pytest.raises(ConfigurationError, match="AURA_RATE_LIMIT must be at least 0"):
        config.rate_limit()


def test_paths_follow_aura_nb_home_and_vault_dir(clean_env, monkeypatch):
    monkeypatch.setenv("AURA_NB_HOME", str(clean_env / "home"))
    assert config.vault_dir() == clean_env / "home" / "vault"
    monkeypatch.setenv("AURA_VAULT_DIR", str(clean_env / "elsewhere"))
    assert config.vault_dir() == clean_env / "elsewhere"


def test_env_example_documents_every_variable_and_alias():
    """`.env.example` is where a user reads what can be set: each variable the kit reads is there
    (commented out or filled in), and each alias is named in its text."""
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for variable in config.VARIABLES.values():
        assert re.search(rf"^#?{variable.name}=", text, re.M), variable.name
        for alias in variable.aliases:
            assert alias in text, alias