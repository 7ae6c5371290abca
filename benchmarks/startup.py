"""What the test suite pays again in each of its processes. Prints figures, asserts nothing.

`./dev test` starts well over a hundred Python processes (pytest workers, kernels, JupyterLab
servers, the hub), so a cost paid at start-up is paid many times over. This prints, each the
median of ``--runs`` fresh processes:

* importing JupyterLab's server (``jupyter_server.serverapp``), and whether ``rfc3987-syntax`` is
  installed (jsonschema then builds its IRI grammars at import; `./dev` removes it);
* collecting every test (``pytest --collect-only``) in a copy of the repository: with no bytecode
  cache and ``PYTHONDONTWRITEBYTECODE`` set, and with the cache `./dev test` lets Python write.

Usage: python benchmarks/startup.py [--runs 3]

Figures seen on a 2-core machine (3 runs each): the server import 2.57 s with rfc3987-syntax,
0.76 s without; collection 9.1 s without the cache, 3.9 s with it (6.4 s with it when
rfc3987-syntax is installed).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What test collection reads (copied, so the repository's own caches are not touched).
COPIED = ("aura_nb", "tests", "notebooks", "conftest.py", "pyproject.toml")


def seconds(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def median(runs: int, command: list[str], env: dict[str, str], cwd: Path, before=None) -> float:
    figures = []
    for _ in range(runs):
        if before:
            before()
        figures.append(seconds(command, env, cwd))
    return statistics.median(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}

    installed = importlib.util.find_spec("rfc3987_syntax") is not None
    server = median(args.runs, [sys.executable, "-c", "import jupyter_server.serverapp"], env, ROOT)
    print(f"import jupyter_server.serverapp: {server:.2f} s "
          f"(rfc3987-syntax {'installed' if installed else 'not installed'})")

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, copy / name)
        collect = [sys.executable, "-m", "pytest", "notebooks", "tests", "--collect-only", "-q",
                   "-p", "no:cacheprovider", "--nbval", "--nbval-current-env"]

        def no_cache() -> None:
            for folder in copy.rglob("__pycache__"):
                shutil.rmtree(folder)

        cold = median(args.runs, collect, {**env, "PYTHONDONTWRITEBYTECODE": "1"}, copy, no_cache)
        writing = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        seconds(collect, writing, copy)  # writes the cache
        warm = median(args.runs, collect, writing, copy)
    print(f"collecting every test: {cold:.1f} s without a bytecode cache, {warm:.1f} s with it")


if __name__ == "__main__":
    main()
