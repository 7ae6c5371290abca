"""Notebook 12 (organizations and projects): its exercise, the tutorial functions it calls, and a
run top to bottom in real mode (``AURA_NB_MODE=real``) against a simulator of each account kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

import aura_nb
from aura_nb.teaching import tutorial
from aura_nb.core.errors import CreateResponseLost
from aura_nb.teaching.exercises import ex12

from tests.helpers.journeys import QUICK, kernel_environment

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "12-organizations-and-projects.ipynb"


def define(source: str):
    namespace: dict = {"requests": requests}
    exec(source, namespace)  # noqa: S102 - the test's own text
    return namespace["instances_path"]


# --- the exercise ---------------------------------------------------------------------------

def test_exercise_solution_passes(capsys):
    assert ex12.check(define(ex12.solution_code)) is True
    assert capsys.readouterr().out.strip().endswith("correct!")


def fails(source: str, capsys) -> str:
    assert ex12.check(define(source)) is False
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1, out
    return out


def test_exercise_with_the_ids_swapped_fails_and_says_which_goes_where(capsys):
    line = fails("""
def instances_path(organizations, projects, project_name):
    org_id = organizations[0]["id"]
    project_id = next(p["id"] for p in projects if p["name"] == project_name)
    return f"/v2beta1/organizations/{project_id}/projects/{org_id}/instances"
""", capsys)
    assert "mixed up" in line and "/organizations/" in line and "/projects/" in line


def test_exercise_with_the_organization_id_as_project_id_fails(capsys):
    line = fails("""
def instances_path(organizations, projects, project_name):
    org_id = organizations[0]["id"]
    return f"/v2beta1/organizations/{org_id}/projects/{org_id}/instances"
""", capsys)
    assert "mixed up" in line


def test_exercise_with_the_last_entry_bug_fails_on_the_first_project(capsys):
    line = fails("""
def instances_path(organizations, projects, project_name):
    project_id = None
    for p in projects:
        project_id = p["id"] if p["name"] == project_name else None
    return f"/v2beta1/organizations/{organizations[0]['id']}/projects/{project_id}/instances"
""", capsys)
    assert "FIRST" in line and "matches exactly" in line


# --- the tutorial functions -----------------------------------------------------------------

def test_multi_database_instance_is_created_once_then_found(sim, make_client, capsys):
    client = make_client(sim)
    made = tutorial.multi_database_instance(client)
    assert made is not None and made.project.name == "Workshop Project"
    assert "nb-multidb (business-critical, 4GB) in Workshop Project: running" in capsys.readouterr().out
    assert client.vault.path_for(made.id).exists()
    details = client.request("GET", made.path)
    assert details["multi_database"] is True and details["legacy_status"] == "running"
    again = tutorial.multi_database_instance(client)
    assert again == made
    assert [i.name for i in client.list_instances()].count("nb-multidb") == 1


def test_a_lost_create_answer_is_not_resent(sim, make_client):
    client = make_client(sim)
    sim.set_faults(script=[{"method": "POST", "action": "lose_response",
                                  "path": "/v2beta1/organizations/{org_id}/projects/{project_id}/instances"}])
    with pytest.raises(CreateResponseLost):  # the v1 create's outcome: journalled, unknown
        tutorial.multi_database_instance(client)
    assert [i.name for i in client.list_instances()].count("nb-multidb") == 1
    found = tutorial.multi_database_instance(client)  # the next run finds it instead
    assert [i.name for i in client.list_instances()].count("nb-multidb") == 1
    assert found is not None


def test_without_billing_details_the_step_is_skipped_in_one_line(make_simulator, make_client, capsys):
    client = make_client(make_simulator(account="free"))
    assert tutorial.multi_database_instance(client) is None
    out = capsys.readouterr().out.strip()
    assert out.splitlines() == [out] and "missing-billing-details" in out
    assert client.list_instances() == []


def test_without_a_multi_database_tier_the_step_is_skipped_in_one_line(sim, make_client,
                                                                       monkeypatch, capsys):
    client = make_client(sim)
    monkeypatch.setattr(tutorial.projects, "MULTI_DATABASE_TYPES", {"no-such-tier": "x"})
    assert tutorial.multi_database_instance(client) is None
    assert capsys.readouterr().out.startswith("Skipped: none of your projects offers")


def test_add_database_adds_once_and_backup_completes_and_is_listed(sim, make_client, capsys):
    client = make_client(sim)
    mdb = tutorial.multi_database_instance(client)
    databases = tutorial.add_database(client, mdb, "sales")
    assert [d["name"] for d in databases] == ["neo4j", "sales"]
    assert tutorial.add_database(client, mdb, "sales") == databases
    sales = databases[1]["id"]
    backup = tutorial.backup_database(client, mdb, sales)
    assert backup["status"] == "Completed" and backup["exportable"] is True
    listed = client.request("GET", f"{mdb.databases_path}/{sales}/backups")
    assert backup["id"] in [b["id"] for b in listed]


def test_both_views_says_so_when_v2beta1_cannot_read_the_instance(sim, make_client, capsys):
    client = make_client(sim)
    instance = tutorial.tutorial_instance(client)
    project = client.find_project(instance.tenant_id)
    v1_view, v2_view = tutorial.both_views(client, project, instance.id)
    assert v1_view["status"] == v2_view["legacy_status"] == "running" and "status" not in v2_view
    sim.set_faults(script=[{"method": "GET", "action": "status", "status": 500, "times": 20,
                                  "path": tutorial.project_path(project, "instances", instance.id)}])
    capsys.readouterr()
    v1_view, v2_view = tutorial.both_views(client, project, instance.id)
    assert v2_view is None and v1_view["id"] == instance.id
    assert "known issue" in capsys.readouterr().out


def test_neo4j_cli_in_real_mode_says_to_use_a_terminal(sim, make_client, monkeypatch, capsys):
    monkeypatch.setenv("AURA_NB_MODE", "real")
    client = make_client(sim)
    assert tutorial.neo4j_cli(client) is None
    assert "run neo4j-cli in a terminal" in capsys.readouterr().out


def test_neo4j_cli_missing_says_how_to_install(sim, make_client, monkeypatch, tmp_path, capsys):
    client = make_client(sim)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert tutorial.neo4j_cli(client) is None
    out = capsys.readouterr().out.strip()
    assert out.splitlines() == [out] and tutorial.NEO4J_CLI_INSTALL in out


def test_neo4j_cli_runs_isolated_and_never_sees_the_secret_in_its_arguments(sim, make_client,
                                                                            monkeypatch):
    client = make_client(sim)
    calls: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args, **kwargs):
        calls.append(list(args))
        assert kwargs["env"]["HOME"] != os.environ.get("HOME")
        return real_run(args, **kwargs)

    monkeypatch.setattr(tutorial.projects.subprocess, "run", recording_run)
    cli = tutorial.neo4j_cli(client)
    if cli is None:
        pytest.skip("neo4j-cli is not installed here")
    with cli:
        home = cli.home
        org = cli.aura("organization", "list")[0]
        assert org["name"] == client.list_organizations()[0].name
        with pytest.raises(tutorial.Neo4jCliFailed):
            cli.aura("project", "list", "--organization-id", "not-an-org")
    assert not home.exists()
    assert ["config", "set", "telemetry", "false", "--rw"] == calls[0][1:]
    assert ["config", "set", "skill-auto-refresh", "false", "--rw"] == calls[1][1:]
    assert all(sim.client_secret not in " ".join(c) for c in calls)


# --- the notebook in real mode, on every account kind ----------------------------------------

def run_in_real_mode(kind: str, make_simulator, home: Path) -> tuple[list[str], str]:
    """Run notebook 12 with AURA_NB_MODE=real; (errors found, everything it printed)."""
    nbformat = pytest.importorskip("nbformat")
    from tests.helpers.kernels import execute_notebook

    sim = make_simulator(account=kind, speed=1.0, durations=QUICK, rate_limit=0)
    env = kernel_environment(sim, "real", home)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    execute_notebook(nb, NOTEBOOK.parent, env)
    errors, printed = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"{kind}: {cell.source.splitlines()[0]!r} raised {output.ename}: "
                              f"{output.evalue[:200]}")
            elif output.get("output_type") == "stream":
                printed.append(output.text)
    return errors, "".join(printed)


@pytest.mark.slow  # three kernels run notebook 12 in real mode
def test_notebook_runs_in_real_mode_on_every_account_kind(make_simulator, tmp_path):
    kinds = ("free", "professional", "enterprise")
    with ThreadPoolExecutor(len(kinds)) as pool:
        runs = {k: pool.submit(run_in_real_mode, k, make_simulator, tmp_path / k) for k in kinds}
        results = {k: runs[k].result() for k in kinds}
    problems = [line for k in kinds for line in results[k][0]]
    assert not problems, "\n".join(problems)
    for kind, (_, printed) in results.items():
        assert "run neo4j-cli in a terminal" in printed, (kind, printed)
        assert "same id as a v1 tenant: False" not in printed
    assert "needs billing details" in results["free"][1]
    assert "nb-multidb (business-critical" in results["professional"][1]
    assert "nb-multidb (enterprise-db" in results["enterprise"][1]
    for kind in ("professional", "enterprise"):
        assert "backup Completed | exportable: True | listed: True" in results[kind][1]


def test_add_database_is_not_repeated_when_the_api_lists_only_ids(sim, make_client,
                                                                   monkeypatch, tmp_path):
    """#18, v2beta1 reference section 5: DatabaseSummary is only {"id"}, so a rerun must not
    look for the name in the list (it would POST a new database every time)."""
    monkeypatch.setenv("AURA_NB_HOME", str(tmp_path / "home"))
    client = make_client(sim)
    mdb = tutorial.multi_database_instance(client)
    real_request = client.request

    def ids_only(method, path, **kwargs):  # the real API's DatabaseSummary
        answer = real_request(method, path, **kwargs)
        if path.endswith("/databases"):
            return [{"id": d["id"]} for d in answer] if isinstance(answer, list) else answer
        return answer

    monkeypatch.setattr(client, "request", ids_only)
    first = tutorial.add_database(client, mdb, "sales")
    again = tutorial.add_database(client, mdb, "sales")
    assert len(first) == len(again) == 2
    posts = [e for e in client.history if e.method == "POST" and e.url.endswith("/databases")]
    assert len(posts) == 1
    sales = tutorial.database_id(mdb, "sales", again)
    assert sales in [d["id"] for d in again] and sales != again[0]["id"]


# --- the databases over Bolt ----------------------------------------------------------------

def run_bolt_cell(client, mdb) -> None:
    """Run notebook 12's driver cell (``SHOW DATABASES``) as the notebook has it."""
    cell = next(c for c in json.loads(NOTEBOOK.read_text())["cells"] if c.get("id") == "c12-bolt")
    exec("".join(cell["source"]), {"aura_nb": aura_nb, "tutorial": tutorial,  # noqa: S102
                                   "client": client, "mdb": mdb})


def test_the_bolt_cell_lists_the_added_database_or_says_in_one_line_why_not(
        sim, make_client, trust_env, capsys):
    pytest.importorskip("neo4j")
    client = make_client(sim)
    mdb = tutorial.multi_database_instance(client)
    tutorial.add_database(client, mdb, "sales")
    capsys.readouterr()

    run_bolt_cell(client, mdb)
    assert capsys.readouterr().out == \
        "over Bolt: [('neo4j', 'online'), ('sales', 'online'), ('system', 'online')]\n"

    client.pause_instance(mdb.id)
    client.wait_for_instance(mdb.id, "paused")
    run_bolt_cell(client, mdb)
    out = capsys.readouterr().out
    assert out.startswith("Could not connect to nb-multidb: ServiceUnavailable") and \
        out.count("\n") == 1, out

    client.vault.path_for(mdb.id).unlink()
    run_bolt_cell(client, mdb)
    out = capsys.readouterr().out
    assert out.startswith("Could not connect to nb-multidb: ") and mdb.id in out and \
        out.count("\n") == 1, out


def test_unless_unreachable_says_why_in_one_line_and_lets_other_errors_through(capsys):
    neo4j = pytest.importorskip("neo4j")
    with tutorial.unless_unreachable("db"):
        raise neo4j.exceptions.AuthError("The client is unauthorized\ndue to authentication failure.")
    assert capsys.readouterr().out == ("Could not connect to db: AuthError: The client is "
                                       "unauthorized; the rest of this notebook does not need it.\n")
    with tutorial.unless_unreachable("db"):
        raise ModuleNotFoundError("No module named 'neo4j'", name="neo4j")
    assert "pip install neo4j" in capsys.readouterr().out
    for other in (ValueError("a bug"), ModuleNotFoundError("No module named 'x'", name="x")):
        with pytest.raises(type(other)):
            with tutorial.unless_unreachable("db"):
                raise other
    assert capsys.readouterr().out == ""
