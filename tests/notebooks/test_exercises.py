"""The notebooks' exercises: each printed solution runs as printed (its imports included) and
passes; the blank is "not attempted yet" (no raise; on the path, the kit does the step); and a
suite of wrong answers per exercise (hard-coded results, None, no sleep, no raise_for_status,
the kit instead of requests, a resent create) is refused with a line that says what to fix."""

from __future__ import annotations

import pytest

from aura_nb.teaching import exercises
from aura_nb.teaching.exercises import ____
from aura_nb.teaching.tutorial import TUTORIAL_NAME

PATH = [exercises.ex01, exercises.ex02, exercises.ex03, exercises.ex04, exercises.ex05,
        exercises.ex99]
OTHERS = [exercises.ex06, exercises.ex07, exercises.ex08, exercises.ex12]


def define(exercise, source: str) -> list:
    """The functions a solution (or a wrong answer) defines, run in a fresh namespace (so a
    solution that forgets an import fails here as it would in its notebook)."""
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - the test's own text
    names = getattr(exercise, "names", None)
    if names:
        return [namespace[name] for name in names]
    return [next(v for k, v in namespace.items() if callable(v) and not k.startswith("__"))]


@pytest.fixture
def world(fast_sim, make_client):
    """The learner's own account: a client of a fast simulator (no rate limit)."""
    return make_client(fast_sim)


def kit_writes(sim) -> list[str]:
    """The writes (POST, PATCH, DELETE) the kit's own client sent to ``sim`` and got done
    (2xx), token requests aside: from the simulator's request log, by User-Agent."""
    return [f"{e['method']} {e['path']}" for e in sim.request_log()
            if e["user_agent"].startswith("aura_nb/") and e["method"] != "GET"
            and e["path"] != "/oauth/token" and e["status"] is not None and e["status"] < 300]


def verdict(capsys) -> str:
    """The check's verdict: its last printed line (the exchanges come before it)."""
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.parametrize("exercise", OTHERS, ids=lambda e: e.title.split()[1])
def test_the_solution_passes(exercise, capsys):
    assert exercise.check(*define(exercise, exercise.solution_code)) is True
    assert verdict(capsys).endswith("correct!")


def test_the_path_solutions_pass_in_order_on_the_learners_own_instance(world, fast_sim, capsys):
    """01-05 then 99 on one account: nb-tutorial is created, polled, paused, resumed and deleted
    by the learner's functions, and the kit sent none of those actions."""
    for exercise in PATH:
        assert exercise.check(*define(exercise, exercise.solution_code), client=world) is True, \
            capsys.readouterr().out[-2000:]
        line = verdict(capsys)
        assert line.startswith(f"{exercise.title}: correct!"), line
    assert kit_writes(fast_sim) == [], "the kit itself sent a lifecycle action"
    names = [i["name"] for i in fast_sim.world.list_instances("primary")]
    assert TUTORIAL_NAME not in names or \
        fast_sim.world.instances[[i["id"] for i in fast_sim.world.list_instances("primary")
                                  if i["name"] == TUTORIAL_NAME][0]].status == "destroying"


@pytest.mark.parametrize("exercise", PATH + OTHERS, ids=lambda e: e.title.split()[1])
def test_the_blank_is_not_attempted_and_does_not_raise(exercise, world, capsys):
    kwargs = {"client": world} if exercise in PATH else {}
    assert exercise.check(____, **kwargs) is None
    assert "not attempted yet" in verdict(capsys)

    def blank_body(*args):
        return ____

    assert exercise.check(*[blank_body] * len(getattr(exercise, "names", "x")), **kwargs) is None
    assert "not attempted yet" in verdict(capsys)
    exercise.hint()
    exercise.solution()
    assert "Hint:" in capsys.readouterr().out


def test_the_blank_path_has_the_kit_carry_each_step_out(world, fast_sim, capsys):
    lines = []
    for exercise in PATH:
        assert exercise.check(____, client=world) is None
        lines.append(verdict(capsys))
    assert "the kit created nb-tutorial for you" in lines[2]
    assert "the kit waited until nb-tutorial was running" in lines[3]
    assert "the kit paused nb-tutorial for you" in lines[4]
    assert "the kit deleted nb-tutorial for you" in lines[5]
    assert all("Replace ____ with your code" in line for line in lines)
    writes = [w.split("/")[-1] if w.count("/") > 3 else w.split(" ")[0] for w in kit_writes(fast_sim)]
    assert writes == ["POST", "pause", "resume", "DELETE"], kit_writes(fast_sim)


# --- the wrong-answer suite ------------------------------------------------------------------

KIT = "sent its requests through the kit's client"
RAISE = "raise_for_status"

WRONG = {
    "ex01": [
        ("hard-coded token", """
def get_token(base_url, client_id, client_secret):
    return {"access_token": "eyJhbGciOi.hard.coded", "token_type": "bearer", "expires_in": 3600}
""", "was not accepted"),
        ("returns None", """
import requests
def get_token(base_url, client_id, client_secret):
    requests.post(f"{base_url}/oauth/token", auth=(client_id, client_secret),
                  data={"grant_type": "client_credentials"}, timeout=30).raise_for_status()
""", "return the answer's JSON"),
        ("no raise_for_status", """
import requests
def get_token(base_url, client_id, client_secret):
    return requests.post(f"{base_url}/oauth/token", auth=(client_id, client_secret),
                         data={"grant_type": "client_credentials"}, timeout=30).json()
""", RAISE),
        ("JSON instead of a form", """
import requests
def get_token(base_url, client_id, client_secret):
    answer = requests.post(f"{base_url}/oauth/token", auth=(client_id, client_secret),
                           json={"grant_type": "client_credentials"}, timeout=30)
    answer.raise_for_status()
    return answer.json()
""", "takes a form"),
        ("the kit", """
import aura_nb
def get_token(base_url, client_id, client_secret):
    client = aura_nb.AuraClient(client_id, client_secret, base_url)
    return {"access_token": client.transport.tokens.get().access_token}
""", KIT),
    ],
    "ex02": [
        ("hard-coded id", """
def find_tenant_id(base_url, headers, name):
    return "eb1167b3-67a9-4378-bc65-c1e582e2e662"
""", "FIRST"),
        ("returns None", """
import requests
def find_tenant_id(base_url, headers, name):
    requests.get(f"{base_url}/v1/tenants", headers=headers, timeout=30)
""", "returned None"),
        ("the last-entry bug", """
import requests
def find_tenant_id(base_url, headers, name):
    answer = requests.get(f"{base_url}/v1/tenants", headers=headers, timeout=30)
    answer.raise_for_status()
    found = None
    for tenant in answer.json()["data"]:
        found = tenant["id"] if tenant["name"] == name else None
    return found
""", "Return as soon as the name matches"),
        ("None for a missing name", """
import requests
def find_tenant_id(base_url, headers, name):
    answer = requests.get(f"{base_url}/v1/tenants", headers=headers, timeout=30)
    answer.raise_for_status()
    return next((t["id"] for t in answer.json()["data"] if t["name"] == name), None)
""", "raise LookupError"),
        ("no raise_for_status", """
import requests
def find_tenant_id(base_url, headers, name):
    answer = requests.get(f"{base_url}/v1/tenants", headers=headers, timeout=30)
    for tenant in answer.json()["data"]:
        if tenant["name"] == name:
            return tenant["id"]
    raise LookupError(name)
""", RAISE),
        ("the kit", """
import aura_nb
def find_tenant_id(base_url, headers, name):
    return aura_nb.connect().find_tenant(name).id
""", KIT),
    ],
    "ex03": [
        ("hard-coded data", """
def create_instance(base_url, headers, body):
    return {"id": "3f158072", "name": body["name"], "password": "not-a-real-one"}
""", "holds 0 instance(s)"),
        ("returns None", """
import requests
def create_instance(base_url, headers, body):
    requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30).raise_for_status()
""", "returned None"),
        ("no raise_for_status", """
import requests
def create_instance(base_url, headers, body):
    return requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30).json().get("data")
""", RAISE),
        ("resends after a lost answer", """
import requests
def create_instance(base_url, headers, body):
    for attempt in range(3):
        try:
            answer = requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
        except requests.ConnectionError:
            continue
""", "never resend a POST"),
        ("swallows the lost answer", """
import requests
def create_instance(base_url, headers, body):
    try:
        answer = requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30)
    except requests.ConnectionError:
        return None
    answer.raise_for_status()
    return answer.json()["data"]
""", "let the error reach the caller"),
        ("the kit", """
import aura_nb
def create_instance(base_url, headers, body):
    client = aura_nb.connect()
    return {"id": client.list_tenants()[0].id, "password": "x"}
""", KIT),
    ],
    "ex04": [
        ("hard-coded result", """
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    return {"id": instance_id, "status": "running"}
""", "return the instance's data once its status is 'running'"),
        ("returns None", """
import requests
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    while requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers,
                       timeout=30).json()["data"]["status"] != "running":
        sleep(5)
""", "returned None"),
        ("no sleep", """
import requests
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    while True:
        answer = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
        answer.raise_for_status()
        if answer.json()["data"]["status"] == "running":
            return answer.json()["data"]
""", "call sleep(seconds) between two polls"),
        ("one long sleep and a single GET", """
import requests
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    sleep(3600)
    answer = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()["data"]
""", "raise TimeoutError"),
        ("no deadline", """
import requests
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    while True:
        answer = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
        answer.raise_for_status()
        if answer.json()["data"]["status"] == "running":
            return answer.json()["data"]
        sleep(5)
""", "raise TimeoutError"),
        ("no raise_for_status", """
import requests
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    waited = 0
    while waited <= timeout:
        data = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30).json().get("data", {})
        if data.get("status") == "running":
            return data
        sleep(5)
        waited += 5
    raise TimeoutError(instance_id)
""", RAISE),
        ("the kit", """
import aura_nb
def wait_until_running(base_url, headers, instance_id, sleep, timeout):
    aura_nb.connect().list_instances()
    return {"id": instance_id, "status": "running"}
""", KIT),
    ],
    "ex05": [
        ("hard-coded result", """
def pause(base_url, headers, instance_id):
    return {"id": instance_id, "status": "pausing"}

def resume(base_url, headers, instance_id):
    return {"id": instance_id, "status": "resuming"}
""", "send POST /v1/instances/{id}/pause"),
        ("returns None", """
import requests
def pause(base_url, headers, instance_id):
    requests.post(f"{base_url}/v1/instances/{instance_id}/pause", headers=headers, json={}, timeout=30).raise_for_status()

def resume(base_url, headers, instance_id):
    requests.post(f"{base_url}/v1/instances/{instance_id}/resume", headers=headers, json={}, timeout=30).raise_for_status()
""", "your function returned None"),
        ("no JSON body (415)", """
import requests
def pause(base_url, headers, instance_id):
    answer = requests.post(f"{base_url}/v1/instances/{instance_id}/pause", headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()["data"]

def resume(base_url, headers, instance_id):
    answer = requests.post(f"{base_url}/v1/instances/{instance_id}/resume", headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()["data"]
""", "json={}"),
        ("no raise_for_status", """
import requests
def pause(base_url, headers, instance_id):
    return requests.post(f"{base_url}/v1/instances/{instance_id}/pause", headers=headers, json={}, timeout=30).json().get("data")

def resume(base_url, headers, instance_id):
    return requests.post(f"{base_url}/v1/instances/{instance_id}/resume", headers=headers, json={}, timeout=30).json().get("data")
""", RAISE),
        ("the kit", """
import aura_nb
def pause(base_url, headers, instance_id):
    aura_nb.connect().list_instances()
    return {"id": instance_id, "status": "pausing"}

def resume(base_url, headers, instance_id):
    return {"id": instance_id, "status": "resuming"}
""", KIT),
    ],
    "ex99": [
        ("hard-coded result", """
def delete(base_url, headers, instance_id):
    return {"id": instance_id, "status": "destroying"}
""", "send DELETE /v1/instances/{id}"),
        ("returns None", """
import requests
def delete(base_url, headers, instance_id):
    requests.delete(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30).raise_for_status()
""", "your function returned None"),
        ("no raise_for_status", """
import requests
def delete(base_url, headers, instance_id):
    return requests.delete(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30).json().get("data")
""", RAISE),
        ("the kit", """
import aura_nb
def delete(base_url, headers, instance_id):
    aura_nb.connect().list_instances()
    return {"id": instance_id, "status": "destroying"}
""", KIT),
    ],
    "ex06": [
        ("hard-coded id", "def clone_source(snapshots):\n    return 's2'\n", "not a snapshot_id of this list"),
        ("the newest snapshot", """
def clone_source(snapshots):
    return max(snapshots, key=lambda s: s["timestamp"])["snapshot_id"]
""", "Completed AND exportable"),
    ],
    "ex07": [
        ("a POST resent after a 5xx", """
def may_resend(method, status):
    return status is None or status >= 500 or (status == 429 and method != "POST")
""", "second, billed instance"),
        ("a POST resent after a 429", """
def may_resend(method, status):
    if status == 429:
        return True
    return method in ("GET", "DELETE") and (status is None or status >= 500)
""", "only GET and DELETE"),
    ],
    "ex08": [
        ("keeps the wrapper", """
import requests
def api_get(base_url, token, path):
    answer = requests.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    answer.raise_for_status()
    return answer.json()
""", '"data"'),
        ("the kit", """
import aura_nb
def api_get(base_url, token, path):
    return [{"id": t.id, "name": t.name} for t in aura_nb.connect().list_tenants()]
""", KIT),
    ],
    "ex12": [
        ("the kit's own lookup", """
import aura_nb
def instances_path(organizations, projects, project_name):
    client = aura_nb.connect()
    org = client.list_organizations()[0]
    project = next(p for p in client.list_projects() if p.name == project_name)
    return f"/v2beta1/organizations/{org.id}/projects/{project.id}/instances"
""", KIT),
        ("hard-coded ids", """
def instances_path(organizations, projects, project_name):
    return "/v2beta1/organizations/0f0e0d0c-0000-4000-8000-000000000000/projects/eb1167b3-67a9-4378-bc65-c1e582e2e662/instances"
""", "names"),
    ],
}
CASES = [(name, label, source, expected) for name, items in WRONG.items()
         for label, source, expected in items]


@pytest.mark.parametrize("name,label,source,expected", CASES,
                         ids=[f"{name}-{label.replace(' ', '-')}" for name, label, _, _ in CASES])
def test_a_wrong_answer_is_refused_with_what_to_fix(name, label, source, expected, world, fast_sim,
                                                   capsys):
    exercise = getattr(exercises, name)
    kwargs = {"client": world} if exercise in PATH else {}
    assert exercise.check(*define(exercise, source), **kwargs) is False, capsys.readouterr().out[-3000:]
    line = verdict(capsys)
    assert line.startswith(f"{exercise.title}: not yet"), line
    assert expected in line, line
    assert kit_writes(fast_sim) == [], "a wrong answer's check made the kit act on the account"


def test_every_exchange_the_answer_sent_is_shown_labelled_with_secrets_masked(world, capsys):
    exercise = exercises.ex01
    assert exercise.check(*define(exercise, exercise.solution_code), client=world) is True
    out = capsys.readouterr().out
    assert "sandbox case 1 (the right client id and secret): your code's requests" in out
    assert "your code on your account" in out and "The check's own reads" in out
    assert "request headers:\n    Authorization: Basic <redacted>\n" \
           "    Content-Type: application/x-www-form-urlencoded" in out
    assert "request body (form): grant_type=client_credentials" in out
    assert '"access_token": "<redacted>"' in out
    assert world.credentials.client_secret not in out


def test_the_learners_create_runs_once_per_name_and_its_password_goes_to_the_vault(
        world, fast_sim, capsys):
    """One billable instance per path: a second run of exercise 03 finds nb-tutorial live and
    does not run the learner's create on the account; the first run's password is in the vault
    and printed nowhere."""
    create = define(exercises.ex03, exercises.ex03.solution_code)
    assert exercises.ex03.check(*create, client=world) is True
    first = capsys.readouterr().out
    made = [i for i in fast_sim.world.list_instances("primary") if i["name"] == TUTORIAL_NAME]
    assert len(made) == 1
    entry = world.vault.load(made[0]["id"])
    assert entry.password and entry.password not in first
    assert "its one-time password is in the vault" in first.splitlines()[-1]
    assert exercises.ex03.check(*create, client=world) is True
    line = verdict(capsys)
    assert "is already live" in line and "was not run on your account" in line
    assert [i["name"] for i in fast_sim.world.list_instances("primary")].count(TUTORIAL_NAME) == 1


def test_each_sandbox_is_drawn_afresh_and_never_the_learners_world(world):
    from aura_nb.teaching.exercises._base import sandbox

    mine = {(t.id, t.name) for t in world.list_tenants()}
    with sandbox() as one, sandbox() as other:
        first, second = one.tenants(), other.tenants()
        ids = {one.create(settle=False), other.create(settle=False)}
    assert len(first) == len(second) == 5 and len(ids) == 2
    for tenants in (first, second):
        assert not {t["id"] for t in tenants} & {i for i, _ in mine}
        assert not {t["name"] for t in tenants} & {n for _, n in mine}
    assert {t["id"] for t in first}.isdisjoint(t["id"] for t in second)
