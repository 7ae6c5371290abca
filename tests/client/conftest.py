"""Helpers for the client tests: the seeded tenants and valid specs to create from."""

from __future__ import annotations

import itertools

import pytest

from aura_nb.core.models import InstanceSpec

from tests.helpers.specs import instance_spec

_names = itertools.count(1)


@pytest.fixture
def learning(client):
    """The seeded 'Learning Project' tenant, with its configurations."""
    return client.find_tenant("Learning Project")


@pytest.fixture
def make_spec(learning):
    """``make_spec(name=None, **changes)``: `tests.helpers.specs.instance_spec` in Learning
    Project, named ``test-db-<n>`` unless given a name."""

    def make(name: str | None = None, **changes) -> InstanceSpec:
        return instance_spec(learning, name or f"test-db-{next(_names)}", **changes)

    return make
