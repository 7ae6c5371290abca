"""AuraClient's settings: one ClientSettings object, any field of it also as a keyword."""

from __future__ import annotations

import pytest

from aura_nb import AuraClient, ClientSettings


def test_keywords_override_the_settings_object(sim, tmp_path):
    settings = ClientSettings(timeout=7, rate_limit=0, vault_dir=tmp_path, speed=sim.clock.speed)
    client = AuraClient(sim.client_id, sim.client_secret, sim.base_url, settings=settings,
                        timeout=3)
    try:
        assert client.timeout == 3 and client.pacer.rate == 0
        assert client.vault.directory == tmp_path
    finally:
        client.close()


def test_a_misspelt_setting_is_refused_by_name_before_anything_is_made(sim):
    with pytest.raises(TypeError, match=r"\['timout'\].*'timeout'"):
        AuraClient(sim.client_id, sim.client_secret, sim.base_url, timout=5)
