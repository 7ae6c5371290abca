"""The exercises of notebooks 06-08 (after the path of `path`): each verifies behaviour on
random cases and shows the pitfall. 08's answer runs against a private embedded simulator
(`_base.sandbox`), never the account the notebook talks to.
"""

from __future__ import annotations

import random
import secrets
from typing import Any, Callable

from ._base import Exercise, Incorrect, returned, sandbox

__all__ = ["ex06", "ex07", "ex08"]


#: The traps of exercise 06: each is newer than the right snapshot, and unusable for a clone.
_TRAPS = {"not exportable": ("Completed", False), "Failed": ("Failed", False),
          "InProgress": ("InProgress", False)}


def _snapshot_cases(rng: random.Random) -> list[tuple[list[dict], str]]:
    """Three snapshot lists with random ids, day and order: an older usable snapshot, the right
    one, then newer traps (`_TRAPS`); with the right snapshot's id."""
    cases = []
    for traps in (("not exportable", "Failed", "InProgress"), ("Failed", "not exportable"),
                  ("InProgress",)):
        day = f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        hour = rng.randrange(1, 18)

        def snapshot(offset: int, status: str, exportable: bool, trap: str | None = None) -> dict:
            item = {"snapshot_id": f"{rng.getrandbits(64):016x}", "status": status,
                    "exportable": exportable, "timestamp": f"{day}T{hour + offset:02d}:00:00Z"}
            return {**item, "trap": trap} if trap else item

        right = snapshot(0, "Completed", True)
        snapshots = [snapshot(-1, "Completed", True), right,
                     *(snapshot(n, *_TRAPS[trap], trap) for n, trap in enumerate(traps, start=1))]
        rng.shuffle(snapshots)
        cases.append((snapshots, right["snapshot_id"]))
    return cases


def _verify_clone_source(clone_source: Callable[..., Any]) -> None:
    rng = random.Random(secrets.randbits(64))
    for number, (snapshots, expected) in enumerate(_snapshot_cases(rng), start=1):
        given = [{k: v for k, v in s.items() if k != "trap"} for s in snapshots]
        got = returned(clone_source(given))
        if got == expected:
            continue
        picked = next((s for s in snapshots if s["snapshot_id"] == got), None)
        why = (f", which is {picked['trap']}" if picked and "trap" in picked else
               ", an older one than needed" if picked else
               f" (not a snapshot_id of this list of {len(given)})")
        raise Incorrect(f"case {number}: you picked {got!r}{why}: a clone needs the newest "
                        "snapshot that is Completed AND exportable")


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
        import requests

        def api_get(base_url, token, path):
            answer = requests.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"},
                                  timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)
