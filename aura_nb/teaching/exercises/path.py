"""The exercises of the learner's path (notebooks 01-05 and 99): the learner's own ``requests``
functions drive the learner's own instance ``nb-tutorial``.

Each ``exNN.check(fn, ...)``:

1. runs the functions on **sandbox cases** (`_base.sandbox`: a private simulator whose ids, names
   and list orders are drawn afresh for every check, so never the learner's own), verifies what
   they return and what they left, and injects the pitfall the exercise teaches (a ``4xx`` that
   must raise, a ``409`` while busy, a poll that must sleep and stop at its deadline, a create
   whose answer is lost and must not be resent);
2. if those pass, runs them **on the learner's own account** (`world.World`: the client the
   notebook connected) on ``nb-tutorial``, and verifies what they returned and the state they
   left with a GET of the check's own, shown as such;
3. with the blank ``____`` still in place, carries the step out with the kit instead and says so
   in one line ("not attempted yet: the kit paused nb-tutorial for you"); the notebook layer
   shows the kit's exchanges under the cell.

Every request the learner's functions send is shown, labelled (sandbox case or your account).
Never more than one billable instance per path: exercise 03 runs the learner's create on the
account only when no live instance has the name already, and saves the one-time password to
the vault (through the kit's vault) before anything else.
"""

from __future__ import annotations

from typing import Any, Callable

import requests

from aura_nb.core.errors import AuraError, error_line
from aura_nb.core.lifecycle import PAUSED, PAUSING, RUNNING, action_taken_effect, is_transitional
from aura_nb.core.models import CreatedInstance, complete_spec
from .. import tutorial
from ._base import (Blank, Exercise, Incorrect, _checking, _NotAttempted,
                    learner_code, raised, returned, sandbox)
from .world import World

__all__ = ["PathExercise", "ex01", "ex02", "ex03", "ex04", "ex05", "ex99"]

TUTORIAL = tutorial.TUTORIAL_NAME
REPLACE = "Replace ____ with your code, then run the cell again."
_RAISED = object()  # what a case notes when the learner's function raised, as it should


class PathExercise(Exercise):
    """An exercise of the path: ``check(*functions, client=None)`` (see the module docstring).
    ``sandbox_cases(*functions)`` and ``on_world(world, *functions)`` raise `Incorrect`;
    ``on_world`` and ``kit_step(world)`` return the line that says what happened on the account."""

    def __init__(self, title: str, names: tuple[str, ...],
                 sandbox_cases: Callable[..., None], on_world: Callable[..., str],
                 kit_step: Callable[[World], str], hint: str, solution: str) -> None:
        super().__init__(title, sandbox_cases, hint, solution)
        self.names = names
        self._on_world = on_world
        self._kit_step = kit_step

    def check(self, *answers: Any, client: Any = None) -> bool | None:  # type: ignore[override]
        """Print whether the functions are right (sandbox, then your account), or carry the
        step out with the kit when they are not written yet; True, False or None. Never raises."""
        answers = answers + (Blank(),) * (len(self.names) - len(answers))
        if len(answers) != len(self.names):
            print(f"{self.title}: not yet. Pass {len(self.names)} function(s): "
                  f"check({', '.join(self.names)})")
            return False
        with _checking(self.title) as check:
            attempted = not any(isinstance(a, Blank) for a in answers)
            verdict = None
            if attempted:
                try:
                    self._verify(*answers)
                except _NotAttempted:
                    check.views.clear()
                    attempted = False
                except Incorrect as wrong:
                    verdict = f"not yet. {wrong}"
                except Exception as exc:  # noqa: BLE001 - the learner's code failed: one line
                    verdict = f"not yet. {raised(exc)}"
            if verdict is None:
                verdict = self._on_account(client, answers if attempted else None)
            check.flush()
        print(f"{self.title}: {verdict}")
        return True if verdict.startswith("correct") else \
            None if verdict.startswith("not attempted") or not attempted else False

    def _on_account(self, client: Any, answers: tuple | None) -> str:
        """The verdict after the sandbox: the functions on the account (``answers``), or the
        kit's step when they are not written yet (``None``)."""
        try:
            world = World(client)
            if answers is None:
                return f"not attempted yet: {self._kit_step(world)}. {REPLACE}"
            return f"correct! {self._on_world(world, *answers)}"
        except _NotAttempted:
            return f"not attempted yet. {REPLACE}"
        except Incorrect as wrong:
            return f"not yet, on your account: {wrong}"
        except AuraError as exc:
            return f"your account could not be used: {error_line(exc, named=True)}"
        except Exception as exc:  # noqa: BLE001 - the learner's code failed on the account
            return f"not yet, on your account. {raised(exc)}"

    def __repr__(self) -> str:
        return (f"<Exercise {self.title!r}: .check({', '.join(self.names)}), .hint(), "
                ".solution()>")


# --- helpers the checks share -------------------------------------------------------------------

def _case(title: str, number: int, what: str) -> str:
    return f"{title}, sandbox case {number} ({what}): your code's requests to the check's private simulator"


def _on_account(title: str, what: str) -> str:
    return f"{title}: your code on your account ({what})"


def _must_raise_http(call: Callable[[], Any], status: str, what: str) -> None:
    """``call()`` must raise ``requests.HTTPError`` (the answer is ``status``)."""
    try:
        got = returned(call())
    except requests.HTTPError:
        return
    except Incorrect:
        raise
    except Exception as exc:  # noqa: BLE001 - the wrong kind of failure: say which
        raise Incorrect(f"{what} the API answered {status} and your function raised "
                        f"{type(exc).__name__}, not requests.HTTPError: call "
                        "answer.raise_for_status() before reading the body") from None
    raise Incorrect(f"{what} the API answered {status} and your function returned "
                    f"{_shape(got)} instead of raising: call answer.raise_for_status()")


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "a dict" + (f" with keys {sorted(value)[:6]}" if value else "")
    return repr(value) if value is None or isinstance(value, (bool, int)) else type(value).__name__


def _data_of(got: Any, instance_id: str, what: str) -> dict:
    """``got`` must be the instance's ``data`` (a dict with its ``id``)."""
    if not isinstance(got, dict) or "id" not in got:
        raise Incorrect(f"{what} your function returned {_shape(got)}: return the answer's "
                        "`data` (answer.json()['data'])")
    if got["id"] != instance_id:
        raise Incorrect(f"{what} your function returned the data of {got['id']!r}, not of "
                        f"{instance_id!r}: return what the API answered for this instance")
    return got


def _ensure(world: World, *, running: bool) -> tuple[dict | None, str]:
    """``nb-tutorial`` on the account (its data by the check's own reads), and a note when the
    kit had to act first (create it; bring it to ``running`` when ``running``)."""
    live = world.live(TUTORIAL)
    if not live:
        instance = tutorial.tutorial_instance(world.client) if running else \
            tutorial.get_or_create(world.client, tutorial.tutorial_spec(tutorial.tenant(world.client)))
        return {"id": instance.id, "status": instance.status}, \
            f"there was no {TUTORIAL}, so the kit created it first (notebook 03's step). "
    data = live[0]
    if running and data["status"] != RUNNING:
        instance = tutorial.ready_instance(world.client, tutorial.tutorial_spec(
            tutorial.tenant(world.client)))
        return {"id": instance.id, "status": instance.status}, \
            f"{TUTORIAL} was {data['status']}, so the kit brought it to running first. "
    return data, ""


# --- 01: the token -----------------------------------------------------------------------------

def _token_sandbox(get_token: Callable[..., Any]) -> None:
    title = ex01.title
    with sandbox() as box:
        with learner_code(_case(title, 1, "the right client id and secret")) as rec:
            token = returned(get_token(box.base_url, box.client_id, box.client_secret))
        sent = [e.request_headers.get("Content-Type", "") for e in rec.exchanges
                if e.is_token_request]
        if any("x-www-form-urlencoded" not in kind for kind in sent):
            raise Incorrect("case 1: the token request went out as "
                            f"{next(k for k in sent if 'x-www-form-urlencoded' not in k) or 'no body'}: "
                            "the token endpoint takes a form, data={'grant_type': "
                            "'client_credentials'}, not json=")
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
            raise Incorrect(f"case 1: your function returned {_shape(token)}: return the "
                            "answer's JSON, the dict with access_token")
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        if box.call("GET", "/v1/tenants", headers=bearer).status_code != 200:
            raise Incorrect("case 1: the access_token you returned was not accepted by GET "
                            "/v1/tenants: return the token this client id and secret were given")
        with learner_code(_case(title, 2, "a wrong secret: 401")):
            _must_raise_http(lambda: get_token(box.base_url, box.client_id, "not-the-secret"),
                             "401", "case 2: with a wrong secret")


def _token_world(world: World, get_token: Callable[..., Any]) -> str:
    creds = world.client.credentials
    with learner_code(_on_account(ex01.title, "your client id and secret")):
        token = returned(get_token(creds.base_url, creds.client_id, creds.client_secret))
    if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
        raise Incorrect(f"your function returned {_shape(token)}: return the answer's JSON")
    answer = world.read("/v1/tenants", headers={"Authorization": f"Bearer {token['access_token']}",
                                                "Accept": "application/json"})
    if answer.status_code != 200:
        raise Incorrect(f"GET /v1/tenants with your token answered {answer.status_code}")
    return "your token was accepted by GET /v1/tenants on your account (the check's read above)."


def _token_kit(world: World) -> str:
    before = world.client.token_requests
    world.client.transport.tokens.get()
    if world.client.token_requests > before:
        return "the kit fetched a token for you (POST /oauth/token, shown below)"
    return "the kit already holds a token, fetched with this same POST /oauth/token, and uses it"


ex01 = PathExercise(
    "Exercise 01 (get_token)", ("get_token",), _token_sandbox, _token_world, _token_kit,
    hint="requests.post(f'{base_url}/oauth/token', auth=(client_id, client_secret), "
         "data={'grant_type': 'client_credentials'}, timeout=30); then raise_for_status(); "
         "return answer.json().",
    solution="""
        import requests

        def get_token(base_url, client_id, client_secret):
            answer = requests.post(f"{base_url}/oauth/token", auth=(client_id, client_secret),
                                   data={"grant_type": "client_credentials"}, timeout=30)
            answer.raise_for_status()
            return answer.json()
    """)


# --- 02: list the tenants, find one by name ----------------------------------------------------

def _tenant_sandbox(find_tenant_id: Callable[..., Any]) -> None:
    title = ex02.title
    with sandbox() as box:
        tenants = box.tenants()
        places = (("FIRST", tenants[0]), ("in the middle", tenants[len(tenants) // 2]),
                  ("last", tenants[-1]))
        for number, (place, wanted) in enumerate(places, start=1):
            with learner_code(_case(title, number, f"a project listed {place}")):
                got = returned(find_tenant_id(box.base_url, dict(box.headers), wanted["name"]))
            if got != wanted["id"]:
                hint = (" Does the loop go on after the match and overwrite the answer? Return "
                        "as soon as the name matches." if place != "last" else "")
                raise Incorrect(f"case {number}: {wanted['name']!r} is {place} in the list and "
                                f"your function returned {_shape(got) if not isinstance(got, str) else repr(got)}, "
                                f"not its id {wanted['id']!r}.{hint}")
        missing = "Project-" + box.random_id()
        with learner_code(_case(title, 4, "a name no project has")):
            try:
                got = returned(find_tenant_id(box.base_url, dict(box.headers), missing))
            except (requests.HTTPError, _NotAttempted):
                raise
            except Exception:  # noqa: BLE001 - any clear error is right (LookupError best)
                got = _RAISED
        if got is not _RAISED:
            raise Incorrect(f"case 4: for a name no project has, your function returned "
                            f"{got!r}: raise LookupError naming the projects that exist")
        refused = {"Authorization": "Bearer not-a-token", "Accept": "application/json"}
        with learner_code(_case(title, 5, "a token the API refuses: 401")):
            _must_raise_http(lambda: find_tenant_id(box.base_url, refused, tenants[0]["name"]),
                             "401", "case 5: with a refused token")


def _tenant_world(world: World, find_tenant_id: Callable[..., Any]) -> str:
    name = tutorial.tenant(world.client).name
    with learner_code(_on_account(ex02.title, f"find {name!r}")):
        got = returned(find_tenant_id(world.base_url, dict(world.headers), name))
    answer = world.read("/v1/tenants")
    answer.raise_for_status()
    expected = next(t["id"] for t in answer.json()["data"] if t["name"] == name)
    if got != expected:
        raise Incorrect(f"your function returned {got!r}; {name!r} has the id {expected!r}")
    return f"{name!r} is {expected} on your account (the check's listing above)."


def _tenant_kit(world: World) -> str:
    tenant = tutorial.tenant(world.client)
    return f"the kit looked up {tenant.name!r} for you: {tenant.id}"


ex02 = PathExercise(
    "Exercise 02 (find_tenant_id)", ("find_tenant_id",), _tenant_sandbox, _tenant_world, _tenant_kit,
    hint="GET f'{base_url}/v1/tenants' with the headers; raise_for_status(); loop over "
         "answer.json()['data'] and return tenant['id'] at the first exact name; after the loop "
         "raise LookupError.",
    solution="""
        import requests

        def find_tenant_id(base_url, headers, name):
            answer = requests.get(f"{base_url}/v1/tenants", headers=headers, timeout=30)
            answer.raise_for_status()
            tenants = answer.json()["data"]
            for tenant in tenants:
                if tenant["name"] == name:
                    return tenant["id"]
            raise LookupError(f"no project named {name!r}; there are {[t['name'] for t in tenants]}")
    """)


# --- 03: create nb-tutorial --------------------------------------------------------------------

def _create_sandbox(create_instance: Callable[..., Any]) -> None:
    title = ex03.title
    with sandbox() as box:
        body = box.create_body()
        with learner_code(_case(title, 1, f"create {body['name']}")):
            data = returned(create_instance(box.base_url, dict(box.headers), dict(body)))
        if not isinstance(data, dict) or "id" not in data:
            raise Incorrect(f"case 1: your function returned {_shape(data)}: return the "
                            "answer's `data` (answer.json()['data']): it holds the id")
        listed = [i for i in box.call("GET", "/v1/instances").json()["data"] if i["name"] == body["name"]]
        if [i["id"] for i in listed] != [data["id"]]:
            raise Incorrect(f"case 1: the sandbox holds {len(listed)} instance(s) named "
                            f"{body['name']!r}, and the id you returned is not its id: send the "
                            "body you are given, once, and return what the API answered")
        if not data.get("password"):
            raise Incorrect("case 1: the `data` you returned has no password: the one-time "
                            "password is in the create answer only; return all of `data`")
        wrong = {**box.create_body(), "memory": "3GB"}
        with learner_code(_case(title, 2, "a size the project does not offer: 400")):
            _must_raise_http(lambda: create_instance(box.base_url, dict(box.headers), wrong),
                             "400", "case 2: for a size the project does not offer")
        lost = box.create_body()
        box.sim.set_faults(script=[{"method": "POST", "path": "/v1/instances",
                                    "action": "lose_response"}])
        with learner_code(_case(title, 3, "the answer is lost on the way back"), limit=20):
            try:
                got = returned(create_instance(box.base_url, dict(box.headers), dict(lost)))
            except _NotAttempted:
                raise
            except Exception:  # noqa: BLE001 - the lost answer must reach the caller
                got = _RAISED
        made = sum(i["name"] == lost["name"] for i in box.call("GET", "/v1/instances").json()["data"])
        if made > 1:
            raise Incorrect(f"case 3: when the answer was lost your function sent the create "
                            f"again and made {made} instances: never resend a POST "
                            "/v1/instances blindly (each one is billed)")
        if got is not _RAISED:
            raise Incorrect(f"case 3: no answer came, yet your function returned {_shape(got)}: "
                            "let the error reach the caller, who must look before creating again")


def _create_world(world: World, create_instance: Callable[..., Any]) -> str:
    client = world.client
    tenant = tutorial.tenant(client)
    spec = tutorial.tutorial_spec(tenant)
    live = world.live(spec.name, tenant.id)
    if live:
        return (f"{spec.name} is already live ({live[0]['id']}, {live[0]['status']}), so your "
                "create was not run on your account (one billable instance per path); the path "
                "goes on with it.")
    label = _on_account(ex03.title, f"create {spec.name}")
    free_note = ""
    with learner_code(label, limit=3):
        try:
            data = returned(create_instance(world.base_url, dict(world.headers), spec.to_api()))
        except requests.HTTPError as refused:
            answer = refused.response
            if answer is None or answer.status_code != 400 or spec.type == "free-db" \
                    or "missing-billing-details" not in answer.text:
                raise
            spec = complete_spec(tenant, spec.name, tutorial.PREFERRED, type="free-db")
            free_note = f" (a {spec.type}: this account has no billing details for paid types)"
            data = returned(create_instance(world.base_url, dict(world.headers), spec.to_api()))
    if not isinstance(data, dict) or not data.get("id"):
        raise Incorrect(f"your function returned {_shape(data)}: return the answer's `data`; "
                        f"{spec.name} may exist now: run the cell again, it will not create a second")
    if data.get("password"):
        client.vault.save(CreatedInstance.from_api(data))  # first, before anything can fail
        saved = "its one-time password is in the vault"
    else:
        saved = "but the `data` you returned had no password: it is lost (return all of `data`)"
    status = world.status(data["id"])
    if not action_taken_effect("create", status):
        raise Incorrect(f"{spec.name} ({data['id']}) reads as {status!r}, not being created")
    return f"your create made {spec.name}{free_note} ({data['id']}, {status}); {saved}."


def _create_kit(world: World) -> str:
    client = world.client
    spec = tutorial.tutorial_spec(tutorial.tenant(client))
    found = client.find_live_instance(spec.name, spec.tenant_id)
    if found is not None:
        return f"{spec.name} exists already ({found.id}), so the kit created nothing"
    instance = tutorial.get_or_create(client, spec)
    return f"the kit created {instance.name} for you ({instance.id}; password in the vault)"


ex03 = PathExercise(
    "Exercise 03 (create_instance)", ("create_instance",), _create_sandbox, _create_world, _create_kit,
    hint="requests.post(f'{base_url}/v1/instances', headers=headers, json=body, timeout=30); "
         "raise_for_status(); return answer.json()['data']. No retry loop: a create is never resent.",
    solution="""
        import requests

        def create_instance(base_url, headers, body):
            answer = requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)


# --- 04: poll until running --------------------------------------------------------------------

class _Overslept(BaseException):
    """Raised by the sandbox's ``sleep`` once a poll has slept far past its deadline."""


def _poll_case(box: Any, wait_until_running: Callable[..., Any], instance_id: str,
               timeout: float, label: str) -> tuple[Any, list[float], int, BaseException | None]:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(float(seconds))
        if sum(slept) > 3 * timeout + 60:
            raise _Overslept()
        box.sim.advance(float(seconds))

    got: Any = None
    error: BaseException | None = None
    with learner_code(label, limit=400) as rec:
        try:
            got = returned(wait_until_running(box.base_url, dict(box.headers), instance_id,
                                              sleep, timeout))
        except (_NotAttempted, Incorrect):
            raise
        except (_Overslept, Exception) as exc:  # noqa: BLE001 - judged below
            error = exc
    polls = sum(e.method == "GET" for e in rec.exchanges)
    if polls > len(slept) + 1 or any(s < 1 for s in slept):
        raise Incorrect(f"your loop sent {polls} status requests and slept {len(slept)} times "
                        f"({sum(slept):.0f} s in all): call sleep(seconds) between two polls, "
                        "a few seconds (5 is fine), to stay under the rate limit")
    return got, slept, polls, error


def _poll_sandbox(wait_until_running: Callable[..., Any]) -> None:
    title = ex04.title
    with sandbox() as box:
        creating = box.create(settle=False)
        got, slept, _, error = _poll_case(box, wait_until_running, creating, 1200,
                                          _case(title, 1, "an instance being created"))
        if isinstance(error, _Overslept) or sum(slept) > 1200 + 60:
            raise Incorrect(f"case 1: your loop slept {sum(slept):.0f} s with timeout=1200: "
                            "sleep a few seconds at a time, add them up, and raise TimeoutError "
                            "once they reach `timeout`")
        if error is not None:
            raise Incorrect(f"case 1: {raised(error)}")
        data = _data_of(got, creating, "case 1:")
        if data.get("status") != RUNNING or box.status(creating) != RUNNING:
            raise Incorrect(f"case 1: your function returned while the status was "
                            f"{data.get('status')!r}: return the instance's data once its status "
                            "is 'running'")
        if not slept:
            raise Incorrect("case 1: the instance was still being created, yet your function "
                            "returned without polling again")
        paused = box.create()
        box.call("POST", f"/v1/instances/{paused}/pause", json={})
        box.settle(paused)
        timeout = 60
        got, slept, polls, error = _poll_case(box, wait_until_running, paused, timeout,
                                              _case(title, 2, "an instance that stays paused, timeout=60"))
        if error is None:
            raise Incorrect(f"case 2: the instance stays paused, yet your function returned "
                            f"{_shape(got)}: return only once the status is 'running', and "
                            "raise TimeoutError when `timeout` seconds have passed")
        if isinstance(error, _Overslept) or sum(slept) > timeout + max(slept, default=0):
            raise Incorrect(f"case 2: your loop slept {sum(slept):.0f} s with timeout={timeout}: "
                            "add up the seconds you sleep and raise TimeoutError once they "
                            "reach `timeout`")
        with learner_code(_case(title, 3, "an id that does not exist: 404")):
            _must_raise_http(lambda: _no_oversleep(wait_until_running, box, box.random_id()),
                             "404", "case 3: for an instance that does not exist")


def _no_oversleep(wait_until_running: Callable[..., Any], box: Any, instance_id: str) -> Any:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(float(seconds))
        if len(slept) > 3:
            raise Incorrect("case 3: the API answered 404 and your loop slept and asked again: "
                            "a 404 will not go away; call answer.raise_for_status()")
        box.sim.advance(float(seconds))

    return wait_until_running(box.base_url, dict(box.headers), instance_id, sleep, 60)


def _poll_world(world: World, wait_until_running: Callable[..., Any]) -> str:
    data, note = _ensure(world, running=False)
    instance_id = data["id"]
    if data["status"] in (PAUSED, PAUSING):
        if data["status"] == PAUSING:
            world.client.wait_for_instance(instance_id, "paused")
        world.client.resume_instance(instance_id)
        note += f"{TUTORIAL} was paused, so the kit resumed it for your poll to follow. "
    with learner_code(_on_account(ex04.title, f"wait for {TUTORIAL}"), limit=600):
        got = returned(wait_until_running(world.base_url, dict(world.headers), instance_id,
                                          world.sleeper(), 1200))
    _data_of(got, instance_id, "")
    status = world.status(instance_id)
    if got.get("status") != RUNNING or status != RUNNING:
        raise Incorrect(f"your function returned with {TUTORIAL} {got.get('status')!r} "
                        f"(the check reads {status!r}): return once it is 'running'")
    return f"{note}{TUTORIAL} ({instance_id}) is running, and your poll saw it."


def _kit_running(world: World) -> tuple[Any, str]:
    """``nb-tutorial`` brought to ``running`` by the kit alone (`tutorial.tutorial_instance`:
    created when missing, resumed when paused, waited for), and a note when it had to be
    created. Only the kit's own exchanges, which the notebook layer shows folded, so that a
    blank's output reads the same on every run."""
    client = world.client
    missing = client.find_live_instance(TUTORIAL, tutorial.tenant(client).id) is None
    instance = tutorial.tutorial_instance(client)
    return instance, (f"there was no {TUTORIAL}, so the kit created it first (notebook 03's "
                      "step); " if missing else "")


def _poll_kit(world: World) -> str:
    _, note = _kit_running(world)
    return f"{note}the kit waited until {TUTORIAL} was running for you"


ex04 = PathExercise(
    "Exercise 04 (wait_until_running)", ("wait_until_running",), _poll_sandbox, _poll_world, _poll_kit,
    hint="waited = 0; loop: GET the instance, raise_for_status(), return its data when "
         "data['status'] == 'running'; raise TimeoutError once waited >= timeout; else sleep(5), "
         "waited += 5.",
    solution="""
        import requests

        def wait_until_running(base_url, headers, instance_id, sleep, timeout):
            waited = 0
            while True:
                answer = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
                answer.raise_for_status()
                data = answer.json()["data"]
                if data["status"] == "running":
                    return data
                if waited >= timeout:
                    raise TimeoutError(f"{instance_id} is still {data['status']} after {timeout} s")
                sleep(5)
                waited += 5
    """)


# --- 05: pause and resume ----------------------------------------------------------------------

def _action_case(box: Any, fn: Callable[..., Any], action: str, instance_id: str, label: str,
                 case: str) -> None:
    with learner_code(label):
        try:
            got = returned(fn(box.base_url, dict(box.headers), instance_id))
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 415:
                raise
            raise Incorrect(f"{case}: the API answered 415: a {action} is a request with a "
                            "JSON body, even an empty one: json={}") from None
    _data_of(got, instance_id, f"{case}:")
    status = box.status(instance_id)
    if not action_taken_effect(action, status):
        request = "DELETE /v1/instances/{id}" if action == "delete" else \
            f"POST /v1/instances/{{id}}/{action} with json={{}}"
        raise Incorrect(f"{case}: the instance is {status!r} afterwards: send {request}")


def _pause_sandbox(pause: Callable[..., Any], resume: Callable[..., Any]) -> None:
    title = ex05.title
    with sandbox() as box:
        instance_id = box.create()
        _action_case(box, pause, "pause", instance_id, _case(title, 1, "pause a running instance"),
                     "case 1 (pause)")
        box.settle(instance_id)
        _action_case(box, resume, "resume", instance_id, _case(title, 2, "resume a paused instance"),
                     "case 2 (resume)")
        busy = box.create(settle=False)
        with learner_code(_case(title, 3, "pause while it is being created: 409")):
            _must_raise_http(lambda: pause(box.base_url, dict(box.headers), busy), "409",
                             "case 3 (pause): while the instance was busy")
        with learner_code(_case(title, 4, "resume while it is being created: 409")):
            _must_raise_http(lambda: resume(box.base_url, dict(box.headers), busy), "409",
                             "case 4 (resume): while the instance was busy")


def _pause_world(world: World, pause: Callable[..., Any], resume: Callable[..., Any]) -> str:
    data, note = _ensure(world, running=True)
    instance_id = data["id"]
    with learner_code(_on_account(ex05.title, f"pause {TUTORIAL}")):
        got = returned(pause(world.base_url, dict(world.headers), instance_id))
    _data_of(got, instance_id, "pause:")
    status = world.status(instance_id)
    if not action_taken_effect("pause", status):
        raise Incorrect(f"after your pause(), {TUTORIAL} is {status!r}, not pausing or paused")
    status = world.settle(instance_id)
    with learner_code(_on_account(ex05.title, f"resume {TUTORIAL}")):
        got = returned(resume(world.base_url, dict(world.headers), instance_id))
    _data_of(got, instance_id, "resume:")
    status = world.status(instance_id)
    if not action_taken_effect("resume", status):
        raise Incorrect(f"after your resume(), {TUTORIAL} is {status!r}, not resuming or running")
    return f"{note}your pause() paused {TUTORIAL} and your resume() resumed it (now {status})."


def _pause_kit(world: World) -> str:
    instance, note = _kit_running(world)
    client = world.client
    client.pause_instance(instance.id)
    client.wait_for_instance(instance.id, status="paused")
    client.resume_instance(instance.id)
    return f"{note}the kit paused {TUTORIAL} for you, waited until it was paused, and resumed it"


ex05 = PathExercise(
    "Exercise 05 (pause, resume)", ("pause", "resume"), _pause_sandbox, _pause_world, _pause_kit,
    hint="requests.post(f'{base_url}/v1/instances/{instance_id}/pause', headers=headers, json={}, "
         "timeout=30), raise_for_status(), return answer.json()['data']; resume is the same with "
         "/resume.",
    solution="""
        import requests

        def pause(base_url, headers, instance_id):
            answer = requests.post(f"{base_url}/v1/instances/{instance_id}/pause",
                                   headers=headers, json={}, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]

        def resume(base_url, headers, instance_id):
            answer = requests.post(f"{base_url}/v1/instances/{instance_id}/resume",
                                   headers=headers, json={}, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)


# --- 99: delete --------------------------------------------------------------------------------

def _delete_sandbox(delete: Callable[..., Any]) -> None:
    title = ex99.title
    with sandbox() as box:
        instance_id = box.create()
        _action_case(box, delete, "delete", instance_id, _case(title, 1, "delete a running instance"),
                     "case 1")
        busy = box.create(settle=False)
        with learner_code(_case(title, 2, "delete while it is being created: 409")):
            _must_raise_http(lambda: delete(box.base_url, dict(box.headers), busy), "409",
                             "case 2: while the instance was busy")
        with learner_code(_case(title, 3, "an id that does not exist: 404")):
            _must_raise_http(lambda: delete(box.base_url, dict(box.headers), box.random_id()),
                             "404", "case 3: for an instance that does not exist")


def _delete_world(world: World, delete: Callable[..., Any]) -> str:
    live = world.live(TUTORIAL)
    if not live:
        return f"there is no {TUTORIAL} on your account to delete."
    instance_id = live[0]["id"]
    if is_transitional(live[0]["status"]):
        world.settle(instance_id)  # a delete while busy answers 409
    with learner_code(_on_account(ex99.title, f"delete {TUTORIAL}")):
        got = returned(delete(world.base_url, dict(world.headers), instance_id))
    _data_of(got, instance_id, "")
    status = world.status(instance_id)
    if not action_taken_effect("delete", status):
        raise Incorrect(f"after your delete(), {TUTORIAL} is {status!r}, not being deleted")
    return f"your delete() is deleting {TUTORIAL} ({instance_id}, {status or 'gone'})."


def _delete_kit(world: World) -> str:
    client = world.client
    found = client.find_live_instance(TUTORIAL, tutorial.tenant(client).id)
    if found is None:
        return f"there is no {TUTORIAL} to delete"
    instance = client.get_instance(found.id)
    if is_transitional(instance.status):
        tutorial.ready_instance(client, tutorial.tutorial_spec(tutorial.tenant(client)))
    client.delete_instance(found.id)
    return f"the kit deleted {TUTORIAL} for you"


ex99 = PathExercise(
    "Exercise 99 (delete)", ("delete",), _delete_sandbox, _delete_world, _delete_kit,
    hint="requests.delete(f'{base_url}/v1/instances/{instance_id}', headers=headers, timeout=30); "
         "raise_for_status(); return answer.json()['data'].",
    solution="""
        import requests

        def delete(base_url, headers, instance_id):
            answer = requests.delete(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
    """)
