"""The two install routes (pip via pyproject.toml, conda via environment.yml) must agree, the README
must keep its two set-up commands, which .ci/run must call, and building the project warns of
nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "aura_nb", src / "aura_nb",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


def test_building_the_project_prints_no_warning(tmp_path):
    """pip builds a wheel offline with the installed setuptools (no index, no build isolation,
    no pip configuration of this machine); neither pip nor setuptools may warn about our files."""
    src = _build_copy(tmp_path)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k != "PYTHONDONTWRITEBYTECODE"}  # that one warns too
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-index",
         "--no-build-isolation", "--wheel-dir", str(tmp_path / "wheels"), str(src)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-3000:]
    assert list((tmp_path / "wheels").glob("aura_nb-*.whl"))
    warnings = [line for line in output.splitlines() if re.search(r"warn|deprecat", line, re.I)]
    assert warnings == [], "\n".join(warnings)


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
