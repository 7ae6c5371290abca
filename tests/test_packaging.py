"""The two install routes (pip via pyproject.toml, conda via environment.yml) must agree, the README
must keep its two set-up commands, which .ci/run must call, and building the project warns of
nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from aura_nb.lab import simulator_environment
from tests.helpers import SPEED

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from their PyPI names
CONDA_TO_PYPI = {"python-dotenv": "python-dotenv"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].strip().lower()


def test_environment_yml_matches_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = {_name(d) for d in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_deps = {CONDA_TO_PYPI.get(_name(d), _name(d)) for d in conda} - {"python", "pip"}
    assert conda_deps == pip_deps
    assert "conda-forge" in env["channels"]
    python = next(d for d in conda if _name(d) == "python")
    assert project["requires-python"].lstrip(">=") in python


def test_environment_yml_installs_the_extras_that_dev_lab_installs():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    editable = next(line for line in pip if line.startswith("-e ."))
    names = dict(re.findall(r"^(\w+)=(\S+)", (ROOT / "dev").read_text(), re.M))
    lab_extras = re.sub(r"\$(\w+)", lambda m: names[m.group(1)], names["LAB_EXTRAS"])
    assert sorted(editable[len("-e .["):-1].split(",")) == sorted(lab_extras.split(","))
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(lab_extras.split(",")) <= set(extras)


def test_readme_has_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "./dev lab" in readme and "./dev test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec \./dev test$", ci, flags=re.MULTILINE)


def test_gitignore_covers_secrets_and_state():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".env", ".aura_nb/", ".venv/", ".ipynb_checkpoints/"):
        assert entry in ignored


def _build_copy(tmp_path: Path) -> Path:
    """The files a build reads, copied so that the build leaves nothing in the repository."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "setup.py", "MANIFEST.in"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("aura_nb", "notebooks"):
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    return src


def _pip_env() -> dict[str, str]:
    """This environment without pip settings of this machine (and without the variable that
    makes pip warn)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k != "PYTHONDONTWRITEBYTECODE"}  # that one warns too
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> tuple[Path, str]:
    """pip builds a wheel offline with the installed setuptools (no index, no build isolation,
    no pip configuration of this machine): ``(wheel, pip's output)``, once per module."""
    tmp_path = tmp_path_factory.mktemp("build")
    src = _build_copy(tmp_path)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-index",
         "--no-build-isolation", "--wheel-dir", str(tmp_path / "wheels"), str(src)],
        env=_pip_env(), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-3000:]
    wheels = list((tmp_path / "wheels").glob("aura_nb-*.whl"))
    assert len(wheels) == 1, output[-3000:]
    return wheels[0], output


def test_building_the_project_prints_no_warning(built_wheel):
    """Neither pip nor setuptools may warn about our files."""
    _, output = built_wheel
    warnings = [line for line in output.splitlines() if re.search(r"warn|deprecat", line, re.I)]
    assert warnings == [], "\n".join(warnings)


def test_the_wheel_carries_the_notebooks_and_the_aura_nb_command(built_wheel):
    with zipfile.ZipFile(built_wheel[0]) as wheel:
        names = set(wheel.namelist())
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and {f"aura_nb/_notebooks/{n}" for n in notebooks} <= names
    assert "aura_nb/_notebooks/data/roster.csv" in names
    assert re.search(r"^aura-nb = aura_nb\.cli:main$", entry_points, re.M)


def test_the_installed_wheel_copies_the_notebooks_and_runs_one(built_wheel, tmp_path, sim):
    """A fresh venv gets the wheel (offline, ``--no-index``; the dependencies come from this
    environment's site-packages through a path file, without its editable copy of the kit):
    ``aura-nb notebooks DIR`` copies them, and notebook 00 runs from that install against a
    simulator, with no repository anywhere on its path."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    borrowed = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "borrowed-dependencies.pth").write_text("\n".join(borrowed) + "\n")  # paths only: no .pth run
    python = venv / "bin" / "python"
    env = {k: v for k, v in _pip_env().items() if k != "PYTHONPATH"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-index", str(built_wheel[0])], env=env, capture_output=True, text=True,
                             timeout=300)
    assert install.returncode == 0, (install.stdout + install.stderr)[-3000:]
    where = subprocess.run([str(python), "-c", "import aura_nb; print(aura_nb.__file__)"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr

    learner = tmp_path / "learner"
    copied = subprocess.run([str(venv / "bin" / "aura-nb"), "notebooks", str(learner)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("15 copied to ") and copied.stdout.count("\n") == 1
    assert (learner / "00-start-here.ipynb").read_bytes() == (ROOT / "notebooks" / "00-start-here.ipynb").read_bytes()
    assert (learner / "data" / "roster.csv").exists()

    env.update(simulator_environment(sim.base_url, sim.client_id, sim.client_secret, tmp_path / "home"))
    env["AURA_SIMULATOR_SPEED"] = str(SPEED)
    run = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute",
                          "--output", "ran.ipynb", "00-start-here.ipynb"],
                         env=env, cwd=learner, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    ran = json.loads((learner / "ran.ipynb").read_text())
    errors = [o for c in ran["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert sim.stats_snapshot()["tokens_issued"] >= 1  # it did talk to this simulator


def test_build_system_requires_a_setuptools_that_reads_the_license_string():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(project["project"]["license"], str)  # an SPDX expression, not a table
    setuptools = next(r for r in project["build-system"]["requires"] if _name(r) == "setuptools")
    assert int(re.search(r">=\s*(\d+)", setuptools).group(1)) >= 77


def test_readme_documents_the_quick_selection_that_dev_runs():
    assert "./dev test --quick" in (ROOT / "README.md").read_text()
    assert re.search(r'"--quick".*\n(.*\n){0,8}.*-m "not slow"', (ROOT / "dev").read_text())
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in markers["markers"])
