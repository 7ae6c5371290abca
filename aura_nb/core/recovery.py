"""What a create that got no answer may have made: the look-up behind `CreateResponseLost`.

``POST /v1/instances`` is never resent after a timeout, a dropped connection or a 5xx (a second
instance would be billed). Instead `lost_create` lists the tenant's instances once and names the
instance created under that name in the last minutes, if any, in the error it returns.
"""

from __future__ import annotations

import email.utils

from .errors import AuraError, CreateResponseLost
from .models import InstanceSummary, parse_timestamp
from .rules import InstanceSpec
from .transport import Transport

__all__ = ["lost_create"]


def lost_create(transport: Transport, spec: InstanceSpec, why: str) -> CreateResponseLost:
    """The `CreateResponseLost` to raise for ``spec``'s create that got no answer (``why``):
    one ``GET /v1/instances?tenantId=`` looks for an instance of that name created within the
    last minutes (server clock), and the error names it, or says what to check before creating
    again. Never creates anything; a failed look-up is said in the error, not raised."""
    window = max(300.0, 2 * transport.timeout * transport.speed)  # server seconds
    base = (f"The create request for {spec.name!r} got no answer ({why}), so it may have "
            "succeeded; it was not resent.")
    password = ("one-time password could not be captured: reset it in the Aura console "
                "(or delete the instance and create it again).")
    try:
        response = transport.send("GET", "/instances", params={"tenantId": spec.tenant_id})
        data = transport.unwrap(response, "GET", "/v1/instances") or []
        server_now = parse_timestamp(email.utils.parsedate_to_datetime(
            response.headers["Date"])) if response.headers.get("Date") else None
    except (AuraError, KeyError, TypeError, ValueError) as exc:
        return CreateResponseLost(
            f"{base} Checking for it failed too ({type(exc).__name__}): list the instances "
            f"of tenant {spec.tenant_id} before creating it again. If it was created, its "
            f"{password}",
            name=spec.name, tenant_id=spec.tenant_id)
    now = server_now.timestamp() if server_now else transport.server_now()
    found = []
    for item in data:
        summary = InstanceSummary.from_api(item)
        created = parse_timestamp(summary.created_at)
        if summary.name == spec.name and created and now - created.timestamp() <= window:
            found.append((created, summary))
    found.sort(key=lambda pair: pair[0])
    if not found:
        return CreateResponseLost(
            f"{base} No instance named {spec.name!r} created in the last "
            f"{window / 60:.0f} minutes is listed in tenant {spec.tenant_id} yet: list the "
            f"instances again in a minute before creating it again. If it appears, its "
            f"{password}",
            name=spec.name, tenant_id=spec.tenant_id)
    instance = found[-1][1]
    more = f" ({len(found)} recent instances have that name)" if len(found) > 1 else ""
    return CreateResponseLost(
        f"{base} Found instance {instance.id} {instance.name!r} created at "
        f"{instance.created_at} in tenant {spec.tenant_id}{more}. Its {password}",
        name=spec.name, tenant_id=spec.tenant_id, instance=instance)
