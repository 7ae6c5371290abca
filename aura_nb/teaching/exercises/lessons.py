"""The exercises of notebooks 01-08, one per notebook: each verifies behaviour, shows the pitfall.

Request-sending answers run against a private embedded simulator (`_base.sandbox`), never the
account the notebook talks to.
"""

from __future__ import annotations

from typing import Any, Callable

import requests

from aura_nb.core.lifecycle import RUNNING, action_taken_effect
from ._base import Exercise, Incorrect, returned, sandbox

__all__ = ["ex01", "ex02", "ex03", "ex04", "ex05", "ex06", "ex07", "ex08"]

CREATE_BODY = {"type": "professional-db", "cloud_provider": "gcp", "region": "europe-west1",
               "memory": "2GB", "version": "5"}


def _verify_token(get_token: Callable[..., Any]) -> None:
    with sandbox() as box:
        token = returned(get_token(box.base_url, box.client_id, box.client_secret))
        if not isinstance(token, dict) or "access_token" not in token:
            raise Incorrect(f"return the answer's JSON (a dict with access_token), not {type(token).__name__}")
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        if requests.get(f"{box.base_url}/v1/tenants", headers=bearer, timeout=10).status_code != 200:
            raise Incorrect("the token you returned was not accepted by GET /v1/tenants")
        try:
            wrong = get_token(box.base_url, box.client_id, "not-the-secret")
        except Exception:  # noqa: BLE001 - raising is the right behaviour here
            return
        raise Incorrect(f"with a wrong secret your function returned {type(wrong).__name__} instead "
                        "of raising: call answer.raise_for_status() before answer.json()")


ex01 = Exercise(
    "Exercise 01 (get_token)", _verify_token,
    hint="requests.post(f'{base_url}/oauth/token', auth=(client_id, client_secret), "
         "data={'grant_type': 'client_credentials'}, timeout=30); then raise_for_status().",
    solution="""
        def get_token(base_url, client_id, client_secret):
            answer = requests.post(f"{base_url}/oauth/token", auth=(client_id, client_secret),
                                   data={"grant_type": "client_credentials"}, timeout=30)
            answer.raise_for_status()
            return answer.json()
    """)


def _verify_tenant_lookup(get_tenant_id: Callable[..., Any]) -> None:
    tenants = [{"id": "a1", "name": "Learning Project"}, {"id": "b2", "name": "Workshop Project"},
               {"id": "c3", "name": "Enterprise Project"}]
    for wanted, expected in (("Learning Project", "a1"), ("Workshop Project", "b2"),
                             ("Enterprise Project", "c3")):
        got = returned(get_tenant_id(list(tenants), wanted))
        if got != expected:
            where = {"a1": "FIRST", "b2": "in the middle", "c3": "last"}[expected]
            raise Incorrect(f"{wanted!r} is {where} in the list and your function returned {got!r}, "
                            f"not {expected!r}. Does the loop go on after the match and overwrite "
                            "the answer? Return as soon as the name matches.")
    try:
        got = get_tenant_id(list(tenants), "No Such Project")
    except Exception:  # noqa: BLE001 - any clear error is right
        return
    raise Incorrect(f"for a name no tenant has, your function returned {got!r}: raise an error "
                    "(LookupError) that names the tenants which exist")


ex02 = Exercise(
    "Exercise 02 (get_tenant_id)", _verify_tenant_lookup,
    hint="Loop over the tenants and `return tenant['id']` at the first exact match; after the loop, "
         "raise LookupError.",
    solution="""
        def get_tenant_id(tenants, name):
            for tenant in tenants:
                if tenant["name"] == name:
                    return tenant["id"]
            raise LookupError(f"no tenant named {name!r}; there are {[t['name'] for t in tenants]}")
    """)


def _verify_create(create_instance: Callable[..., Any]) -> None:
    with sandbox() as box:
        body = {"name": "nb-exercise", "tenant_id": box.tenant_id(), **CREATE_BODY}
        data = returned(create_instance(box.base_url, dict(box.headers), dict(body)))
        if not isinstance(data, dict) or "id" not in data:
            raise Incorrect("return the answer's `data` (answer.json()['data']): it holds the id")
        if not data.get("password"):
            raise Incorrect("the `data` you returned has no password: it is in the create answer only")
        box.sim.set_faults(script=[{"method": "POST", "path": "/v1/instances",
                                    "action": "lose_response"}])
        try:
            create_instance(box.base_url, dict(box.headers), {**body, "name": "nb-lost"})
        except Exception:  # noqa: BLE001 - the lost answer must reach the caller
            pass
        listed = box.call("GET", "/v1/instances").json()["data"]
        if sum(i["name"] == "nb-lost" for i in listed) > 1:
            raise Incorrect("when the answer was lost your function sent the create again and made "
                            "a second instance: never resend a POST /v1/instances blindly")


ex03 = Exercise(
    "Exercise 03 (create_instance)", _verify_create,
    hint="requests.post(f'{base_url}/v1/instances', headers=headers, json=body, timeout=30); "
         "raise_for_status(); return answer.json()['data']. No retry loop.",
    solution="""
        def create_instance(base_url, headers, body):
            answer = requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)


def _verify_poll(wait_until_running: Callable[..., Any]) -> None:
    with sandbox(speed=1.0, rate_limit=125) as box:
        body = {"name": "nb-exercise", "tenant_id": box.tenant_id(), **CREATE_BODY}
        instance_id = box.call("POST", "/v1/instances", json=body).json()["data"]["id"]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            box.sim.advance(seconds)

        route = "GET /v1/instances/{instanceId}"
        before = box.requests_sent(route)
        try:
            data = returned(wait_until_running(box.base_url, dict(box.headers), instance_id, sleep))
        except Exception as exc:  # noqa: BLE001 - explain the likely cause first
            polls = box.requests_sent(route) - before
            if not slept or polls > 40:
                raise Incorrect(f"your loop sent {polls} status requests in {sum(slept):.0f} seconds "
                                f"and ended with {type(exc).__name__}: call sleep(seconds) between "
                                "polls (a few seconds, up to 10) to stay under 125 requests a "
                                "minute") from None
            raise
        polls = box.requests_sent(route) - before
        if polls > 40:
            raise Incorrect(f"{polls} status requests for one create: sleep a few seconds (up to "
                            "10) between polls")
        if not isinstance(data, dict) or data.get("status") != RUNNING:
            raise Incorrect("return the instance's `data` once its status is 'running'")


ex04 = Exercise(
    "Exercise 04 (wait_until_running)", _verify_poll,
    hint="while True: GET the instance; return its data when data['status'] == 'running'; "
         "otherwise sleep(5) and ask again.",
    solution="""
        def wait_until_running(base_url, headers, instance_id, sleep=time.sleep):
            while True:
                answer = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
                answer.raise_for_status()
                data = answer.json()["data"]
                if data["status"] == "running":
                    return data
                sleep(5)
    """)


def _verify_pause(pause: Callable[..., Any]) -> None:
    with sandbox(speed=1.0) as box:
        instance_id = box.create()
        try:
            returned(pause(box.base_url, dict(box.headers), instance_id))
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (400, 415):
                raise Incorrect(f"the API answered {status}: a pause is a POST with a JSON body, "
                                "even an empty one: json={}") from None
            raise
        status = box.call("GET", f"/v1/instances/{instance_id}").json()["data"]["status"]
        if not action_taken_effect("pause", status):  # pausing, or paused already
            raise Incorrect(f"the instance is still {status!r}: send POST "
                            "/v1/instances/{id}/pause")


ex05 = Exercise(
    "Exercise 05 (pause)", _verify_pause,
    hint="requests.post(f'{base_url}/v1/instances/{instance_id}/pause', headers=headers, json={}, "
         "timeout=30), then raise_for_status().",
    solution="""
        def pause(base_url, headers, instance_id):
            answer = requests.post(f"{base_url}/v1/instances/{instance_id}/pause",
                                   headers=headers, json={}, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)


def _verify_clone_source(clone_source: Callable[..., Any]) -> None:
    snapshots = [
        {"snapshot_id": "s1", "status": "Completed", "exportable": True, "timestamp": "2026-01-01T01:00:00Z"},
        {"snapshot_id": "s2", "status": "Completed", "exportable": True, "timestamp": "2026-01-01T02:00:00Z"},
        {"snapshot_id": "s3", "status": "Completed", "exportable": False, "timestamp": "2026-01-01T03:00:00Z"},
        {"snapshot_id": "s4", "status": "Failed", "exportable": False, "timestamp": "2026-01-01T04:00:00Z"},
        {"snapshot_id": "s5", "status": "InProgress", "exportable": False, "timestamp": "2026-01-01T05:00:00Z"},
    ]
    got = returned(clone_source(list(reversed(snapshots))))
    why = {"s1": "an older one than needed", "s3": "not exportable", "s4": "Failed",
           "s5": "still InProgress"}
    if got != "s2":
        raise Incorrect(f"you picked {got!r}" + (f", which is {why[got]}" if got in why else "")
                        + ": a clone needs the newest snapshot that is Completed AND exportable")


ex06 = Exercise(
    "Exercise 06 (clone_source)", _verify_clone_source,
    hint="Keep the snapshots whose status is 'Completed' and whose exportable is True, then take "
         "the one with the largest timestamp.",
    solution="""
        def clone_source(snapshots):
            usable = [s for s in snapshots if s["status"] == "Completed" and s["exportable"]]
            return max(usable, key=lambda s: s["timestamp"])["snapshot_id"]
    """)


def _verify_may_resend(may_resend: Callable[..., Any]) -> None:
    cases = [("GET", 503, True), ("GET", None, True), ("DELETE", 502, True), ("GET", 429, True),
             ("POST", 429, False), ("POST", 503, False), ("POST", None, False),
             ("PATCH", 500, False), ("GET", 404, False), ("POST", 400, False), ("POST", 409, False)]
    for method, status, right in cases:
        got = returned(may_resend(method, status))
        if bool(got) != right:
            said = "no answer" if status is None else status
            reason = ("the reference documents only GET and DELETE as safe to retry, after a 429 "
                      "too (that nothing was done after a 429 is only the kit's inference)"
                      if status == 429 else
                      "a POST that met a 5xx or no answer may have been carried out; resending it "
                      "can create a second, billed instance" if method in ("POST", "PATCH") and right is False
                      and status not in (400, 409) else
                      "reading or deleting twice harms nothing" if right else
                      "the same request gets the same error again: fix it instead")
            raise Incorrect(f"may_resend({method!r}, {status!r}) returned {got!r} ({method} after "
                            f"{said}): {reason}")


ex07 = Exercise(
    "Exercise 07 (may_resend)", _verify_may_resend,
    hint="429, 500/502/503/504 or no answer (None): only GET and DELETE, the methods the "
         "reference calls safe to retry. Anything else (400, 404, 409): never.",
    solution="""
        def may_resend(method, status):
            if status is None or status in (429, 500, 502, 503, 504):
                return method in ("GET", "DELETE", "HEAD")
            return False
    """)


def _verify_api_get(api_get: Callable[..., Any]) -> None:
    with sandbox() as box:
        got = returned(api_get(box.base_url, box.token, "/v1/tenants"))
        expected = box.call("GET", "/v1/tenants").json()
        if got == expected:
            raise Incorrect('you returned the whole answer: answers wrap their content in '
                            '{"data": ...}; return answer.json()["data"]')
        if got != expected["data"]:
            raise Incorrect("return the answer's `data`: the list of tenants for /v1/tenants")


ex08 = Exercise(
    "Exercise 08 (api_get)", _verify_api_get,
    hint="headers={'Authorization': f'Bearer {token}'}; requests.get(base_url + path, ...); "
         "raise_for_status(); unwrap `data`.",
    solution="""
        def api_get(base_url, token, path):
            answer = requests.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"},
                                  timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)
