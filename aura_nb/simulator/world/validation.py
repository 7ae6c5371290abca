"""Checks on request bodies, and the sizing estimates that depend on nothing but a checked body.

Each check raises :class:`~aura_nb.simulator.errors.ApiError` 400 naming the offending field, the
way the service does. Nothing here reads or changes the world.
"""

from __future__ import annotations

import math

from .. import catalog
from ..catalog import gb
from ..errors import bad_request

CLOUDS = ("gcp", "aws", "azure")
INSTANCE_TYPES = ("free-db", "professional-db", "business-critical", "enterprise-db",
                  "professional-ds", "enterprise-ds")


def require_str(body: dict, name: str, required: bool = True) -> str | None:
    """``body[name]`` as a string; 400 if it is not one (or missing while ``required``)."""
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"Missing required field: {name}", name)
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string", name)
    return value


def require_bool(body: dict, name: str) -> bool | None:
    """``body[name]`` as true/false/None; 400 for anything else."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false", name)
    return value


def require_count(body: dict, name: str, required: bool = True) -> int:
    """``body[name]`` as a non-negative integer (0 when absent and not ``required``); else 400."""
    value = body.get(name)
    if value is None and not required:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(f"{name} must be a non-negative integer", name)
    return value


def check_name(name: str, field_name: str = "name") -> None:
    """400 unless ``name`` is 1 to 30 characters with no surrounding whitespace."""
    if not 1 <= len(name) <= 30:
        raise bad_request(f"{field_name} must be 1 to 30 characters long", field_name)
    if name != name.strip():
        raise bad_request(f"{field_name} must not start or end with whitespace", field_name)


def choices(values) -> str:
    """Sorted, de-duplicated, sizes in numeric order: ``1GB, 2GB, 16GB``."""
    unique = set(values)
    try:
        ordered = sorted(unique, key=gb)
    except ValueError:
        ordered = sorted(unique)
    return ", ".join(ordered)


# --------------------------------------------------------------------- sizing estimates

_INSTANCE_SIZES = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def _round_up(gigabytes: float, sizes) -> tuple[int, bool]:
    """Smallest offered size that holds ``gigabytes``, and whether even the largest is too small."""
    for size in sizes:
        if size >= gigabytes:
            return size, False
    return sizes[-1], True


def instance_sizing(body: dict) -> dict:
    """``POST /v1/instances/sizing``: a deterministic estimate for a graph-data-science instance.

    Raises 400 for missing or negative counts or an unknown instance type.
    """
    nodes = require_count(body, "node_count")
    rels = require_count(body, "relationship_count")
    instance_type = require_str(body, "instance_type", required=False)
    if instance_type is not None and instance_type not in INSTANCE_TYPES:
        raise bad_request(f"instance_type must be one of {', '.join(INSTANCE_TYPES)}",
                          "instance_type")
    categories = body.get("algorithm_categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise bad_request("algorithm_categories must be a list of strings", "algorithm_categories")
    needed = (nodes * 1000 + rels * 2000) / 1e9 * (1 + 0.15 * len(categories))
    minimum = max(1, math.ceil(needed))
    recommended, exceeded = _round_up(minimum, _INSTANCE_SIZES)
    return {"did_exceed_maximum": exceeded, "min_required_memory": f"{minimum}GB",
            "recommended_size": f"{recommended}GB"}


def session_sizing(body: dict) -> dict:
    """``POST /v1/graph-analytics/sessions/sizing``: a deterministic session-size estimate.

    Raises 400 for missing or negative counts.
    """
    nodes = require_count(body, "node_count")
    rels = require_count(body, "relationship_count")
    node_props = require_count(body, "node_property_count", required=False)
    labels = require_count(body, "node_label_count", required=False)
    rel_props = require_count(body, "relationship_property_count", required=False)
    categories = body.get("algorithm_categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise bad_request("algorithm_categories must be a list of strings", "algorithm_categories")
    raw = (nodes * (64 + 8 * node_props + 8 * labels) + rels * (48 + 8 * rel_props)) / 1e9
    estimated = max(1, math.ceil(raw * (1 + 0.1 * len(categories))))
    sizes = [gb(m) for m in catalog.SESSION_MEMORY]
    recommended, _ = _round_up(estimated, sizes)
    return {"estimated_memory": f"{estimated}GB", "recommended_size": f"{recommended}GB"}
