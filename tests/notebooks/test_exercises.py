"""The notebooks' exercises: each solution passes, the blank is "not attempted yet" (no raise),
and a wrong answer that shows the real pitfall fails with a helpful line."""

from __future__ import annotations

import time

import pytest
import requests

from aura_nb.teaching import exercises
from aura_nb.teaching.exercises import ____

ALL = [exercises.ex01, exercises.ex02, exercises.ex03, exercises.ex04, exercises.ex05,
       exercises.ex06, exercises.ex07, exercises.ex08, exercises.ex12]


def define(source: str):
    """The function a solution (or a wrong answer) defines."""
    namespace = {"requests": requests, "time": time}
    exec(source, namespace)  # noqa: S102 - the test's own text
    return next(v for k, v in namespace.items() if callable(v) and k not in ("requests", "time")
                and not k.startswith("__"))


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.title.split()[1])
def test_the_solution_passes(exercise, capsys):
    assert exercise.check(define(exercise.solution_code)) is True
    assert capsys.readouterr().out.strip().endswith("correct!")


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.title.split()[1])
def test_the_blank_is_not_attempted_and_does_not_raise(exercise, capsys):
    assert exercise.check(____) is None
    assert "not attempted yet" in capsys.readouterr().out

    def blank_body(*args):
        return ____

    assert exercise.check(blank_body) is None
    assert "not attempted yet" in capsys.readouterr().out
    exercise.hint()
    exercise.solution()
    assert "Hint:" in capsys.readouterr().out


def fails(exercise, source: str, capsys) -> str:
    assert exercise.check(define(source)) is False
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1, out
    return out


def test_token_without_raise_for_status_fails(capsys):
    line = fails(exercises.ex01, """
def get_token(base_url, client_id, client_secret):
    return requests.post(f"{base_url}/oauth/token", auth=(client_id, client_secret),
                         data={"grant_type": "client_credentials"}, timeout=30).json()
""", capsys)
    assert "raise_for_status" in line


def test_tenant_lookup_with_the_last_entry_bug_fails(capsys):
    line = fails(exercises.ex02, """
def get_tenant_id(tenants, name):
    tenant_id = None
    for tenant in tenants:
        tenant_id = tenant["id"] if tenant["name"] == name else None
    return tenant_id
""", capsys)
    assert "FIRST" in line and "returned None" in line


def test_create_that_resends_after_a_lost_answer_fails(capsys):
    line = fails(exercises.ex03, """
def create_instance(base_url, headers, body):
    for attempt in range(3):
        try:
            answer = requests.post(f"{base_url}/v1/instances", headers=headers, json=body, timeout=30)
            answer.raise_for_status()
            return answer.json()["data"]
        except requests.ConnectionError:
            continue
""", capsys)
    assert "second instance" in line


def test_poll_loop_that_never_sleeps_fails_on_its_request_count(capsys):
    line = fails(exercises.ex04, """
def wait_until_running(base_url, headers, instance_id, sleep):
    while True:
        answer = requests.get(f"{base_url}/v1/instances/{instance_id}", headers=headers, timeout=30)
        answer.raise_for_status()
        if answer.json()["data"]["status"] == "running":
            return answer.json()["data"]
""", capsys)
    assert "status requests" in line and "sleep" in line


def test_pause_without_a_json_body_fails(capsys):
    line = fails(exercises.ex05, """
def pause(base_url, headers, instance_id):
    answer = requests.post(f"{base_url}/v1/instances/{instance_id}/pause", headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()["data"]
""", capsys)
    assert "json={}" in line


def test_clone_source_that_takes_the_last_snapshot_fails(capsys):
    line = fails(exercises.ex06, """
def clone_source(snapshots):
    return max(snapshots, key=lambda s: s["timestamp"])["snapshot_id"]
""", capsys)
    assert "InProgress" in line and "exportable" in line


def test_resending_a_post_after_a_5xx_fails(capsys):
    line = fails(exercises.ex07, """
def may_resend(method, status):
    return status is None or status >= 500 or (status == 429 and method != "POST")
""", capsys)
    assert "second, billed instance" in line


def test_resending_a_post_after_a_429_fails_by_the_reference(capsys):
    """#18: the reference documents only GET and DELETE as safe to retry; that a 429 means
    nothing was done is the kit's inference, and the exercise does not grade it as a fact."""
    line = fails(exercises.ex07, """
def may_resend(method, status):
    if status == 429:
        return True
    return method in ("GET", "DELETE") and (status is None or status >= 500)
""", capsys)
    assert "may_resend('POST', 429)" in line and "only GET and DELETE" in line


def test_api_get_that_keeps_the_wrapper_fails(capsys):
    line = fails(exercises.ex08, """
def api_get(base_url, token, path):
    answer = requests.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    answer.raise_for_status()
    return answer.json()
""", capsys)
    assert '"data"' in line
