"""``python -m aura_nb.workshop``: commands, exit codes and one-line errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from aura_nb.workshop.__main__ import main

from tests.helpers.simulator import prefixed, requests_made


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_provision_status_pause_resume_and_teardown_from_the_terminal(env, roster_file, home):
    sim = env
    roster = str(roster_file(3))
    code, out, err = run("provision", "--prefix", "cli", "--roster", roster, "--memory", "2GB",
                         "--max-instances", "3")
    assert code == 0, err
    assert "Simulator mode" in err and "cli: 3/3 running; 3 created" in out
    assert "Zoë Núñez: created" in out and "hand-outs:" in out
    assert len(prefixed(sim, "cli")) == 3

    code, out, _ = run("provision", "--prefix", "cli", "--roster", roster, "--max-instances", "3")
    assert code == 0 and "0 created; 0 adopted" in out and requests_made(sim)["POST /v1/instances"] == 3

    code, out, _ = run("status", "--prefix", "cli")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["attendee", "instance", "id", "status", "age"]
    assert len(lines) == 4 and all("running" in line for line in lines[1:])

    code, out, _ = run("pause", "--prefix", "cli")
    assert code == 0 and "pause: 3 sent, 0 already there" in out
    assert {i.status for i in prefixed(sim, "cli")} == {"paused"}
    code, out, _ = run("pause", "--prefix", "cli", "--no-wait")
    assert code == 0 and "pause: 0 sent, 3 already there" in out
    code, out, _ = run("resume", "--prefix", "cli")
    assert code == 0 and {i.status for i in prefixed(sim, "cli")} == {"running"}

    code, out, _ = run("teardown", "--prefix", "cli")
    assert code == 0 and "dry run: would delete 3 instances" in out and "run again with --yes" in out
    assert "DELETE /v1/instances/{instanceId}" not in requests_made(sim)
    code, out, _ = run("teardown", "--prefix", "cli", "--yes")
    assert code == 0 and "deleted 3, already gone 0; 0 orphans" in out
    code, out, _ = run("teardown", "--prefix", "cli", "--yes")
    assert code == 0 and "deleted 0" in out and requests_made(sim)["DELETE /v1/instances/{instanceId}"] == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["provision", "--prefix", "Bad_Prefix", "--roster", "r.csv"], "prefix 'Bad_Prefix' is not usable"),
        (["provision", "--prefix", "ok", "--roster", "missing.csv"], "cannot read roster"),
        (["status", "--prefix", "never-made"], "no workshop 'never-made' here"),
        (["provision", "--prefix", "ok", "--roster", "ROSTER", "--memory", "64GB"], "above this workshop's limit"),
        (["provision", "--prefix", "ok", "--roster", "ROSTER", "--allow-type", "business-critical"],
         "'professional-db' is not allowed"),
        # a guardrail value that is not a size is an error, never "no limit"
        (["provision", "--prefix", "ok", "--roster", "ROSTER", "--max-memory", "lots"],
         "max memory 'lots' is not a size"),
        (["provision", "--prefix", "ok", "--roster", "ROSTER", "--max-instances", "0"],
         "max instances 0 is not usable"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2_and_nothing_sent(env, roster_file, argv, message):
    argv = [str(roster_file(3)) if a == "ROSTER" else a for a in argv]
    code, out, err = run(*argv)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err  # the mode line + the error
    assert "POST /v1/instances" not in requests_made(env)


def test_api_failure_exits_1_with_one_line(env, roster_file, monkeypatch):
    monkeypatch.setenv("AURA_CLIENT_SECRET", "not-the-secret")
    code, _, err = run("provision", "--prefix", "ok", "--roster", str(roster_file(2)))
    assert code == 1 and err.splitlines()[-1].startswith("API error:") and "not-the-secret" not in err


def test_module_runs_as_a_script_without_traceback(tmp_path):
    environment = {**os.environ, "AURA_NB_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "aura_nb.workshop", "teardown", "--prefix", "nope"],
                          capture_output=True, text=True, env=environment, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("error: no workshop 'nope' here")
    assert "Traceback" not in done.stderr and done.stdout == ""
    usage = subprocess.run([sys.executable, "-m", "aura_nb.workshop"], capture_output=True, text=True,
                           env=environment, timeout=60)
    assert usage.returncode == 2 and "provision" in usage.stderr


def test_tenant_hint_names_the_tenant_option(env, roster_file, monkeypatch):
    monkeypatch.delenv("AURA_TENANT")  # the simulator's key sees several projects
    code, _, err = run("provision", "--prefix", "ok", "--roster", str(roster_file(2)))
    assert code == 2 and "pass --tenant NAME" in err and "find_tenant" not in err and "()" not in err
    assert "POST /v1/instances" not in requests_made(env)


def test_summary_csv_cells_cannot_run_as_formulas(env, tmp_path, home):
    roster = tmp_path / "r.csv"
    roster.write_text('attendee,email\n=HYPERLINK("http://x"),"+1@x"\n@SUM(A1),-x@y\n', encoding="utf-8")
    code, out, err = run("provision", "--prefix", "inj", "--roster", str(roster), "--no-wait")
    assert code == 0, err
    text = (home / "workshops" / "inj" / "handouts" / "summary.csv").read_text()
    cells = [cell for line in text.splitlines()[1:] for cell in line.split(",")]
    assert not [c for c in cells if c.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'+1@x" in text and "'-x@y" in text


@pytest.mark.parametrize("timeout", ["nan", "-1", "0", "-0.5", "inf", "NaN", "soon"])
def test_a_timeout_that_is_not_a_positive_number_is_refused_before_anything_is_sent(env, roster_file, timeout, capsys):
    with pytest.raises(SystemExit) as stopped:
        run("provision", "--prefix", "tmo", "--roster", str(roster_file(2)), f"--timeout={timeout}")
    assert stopped.value.code == 2 and "--timeout" in capsys.readouterr().err
    assert requests_made(env) == {} or "POST /v1/instances" not in requests_made(env)


@pytest.mark.parametrize("command", [["provision", "--roster", "ROSTER"], ["status"], ["teardown"]])
def test_a_home_that_is_a_file_is_one_line(env, roster_file, tmp_path, command):
    a_file = tmp_path / "not-a-folder.txt"
    a_file.write_text("x")
    argv = [str(roster_file(2)) if a == "ROSTER" else a for a in command]
    code, out, err = run(*argv, "--prefix", "hf", "--home", str(a_file))
    assert code == 2 and "Traceback" not in err and err.strip().splitlines()[-1].startswith("error: ")
    assert "not a folder" in err and str(a_file) in err
    assert "POST /v1/instances" not in requests_made(env)


def test_a_failed_wait_names_why_never_none(env, roster_file):
    env.set_faults(script=[{"method": "GET", "path": "/v1/instances/{instanceId}", "action": "status",
                            "status": 403, "times": 40}])
    code, out, err = run("provision", "--prefix", "fw", "--roster", str(roster_file(3)), "--timeout", "30")
    assert code == 1, err
    ready_lines = [line for line in out.splitlines() if line.startswith("[")]
    assert ready_lines and not [line for line in ready_lines if line.endswith("None")], out
    assert all("not running" in line for line in ready_lines if "created" not in line), out


@pytest.mark.parametrize("first, second, attendees", [
    ("lab", "lab-q3", ["Q3 Rui", "Mina"]),          # a shorter prefix first, then one it begins
    ("dev-ops-a", "dev-ops", ["Lin"]),               # and the other way round
    ("x1", "x1-b-c", ["B C Noor"]),
])
def test_a_workshop_whose_names_could_collide_with_another_is_refused(env, tmp_path, first, second, attendees):
    roster = tmp_path / "class.csv"
    roster.write_text("attendee\n" + "\n".join(attendees) + "\n", encoding="utf-8")
    code, _, err = run("provision", "--prefix", first, "--roster", str(roster), "--no-wait")
    assert code == 0, err
    made = requests_made(env)["POST /v1/instances"]
    code, out, err = run("provision", "--prefix", second, "--roster", str(roster), "--no-wait")
    assert code == 2 and f"could give the same instance names as workshop {first!r}" in err
    assert len(err.strip().splitlines()) == 2 and "Traceback" not in err          # the mode line + one
    assert requests_made(env)["POST /v1/instances"] == made                     # nothing sent
    code, _, err = run("provision", "--prefix", first + "2", "--roster", str(roster), "--no-wait")
    assert code == 0, err                                           # 'lab2' cannot collide with 'lab'
