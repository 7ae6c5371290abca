"""Helpers for the client tests: the seeded tenants and valid specs to create from."""

from __future__ import annotations

import itertools

import pytest

from aura_nb.core.models import InstanceSpec, allowed_choices

_names = itertools.count(1)


@pytest.fixture
def learning(client):
    """The seeded 'Learning Project' tenant, with its configurations."""
    return client.find_tenant("Learning Project")


@pytest.fixture
def make_spec(learning):
    """``make_spec(name=None, **changes)``: a valid professional-db spec in Learning Project."""

    def make(name: str | None = None, **changes) -> InstanceSpec:
        choices = allowed_choices(learning, "professional-db", "gcp", "europe-west1")
        fields = dict(name=name or f"test-db-{next(_names)}", tenant_id=learning.id,
                      type="professional-db", cloud_provider="gcp", region="europe-west1",
                      memory=choices["memory"][0])
        fields.update(changes)
        return InstanceSpec(**fields)

    return make
