"""Start JupyterLab on the teaching notebooks: ``python -m aura_nb.lab [jupyter lab options]``.

With real credentials configured (environment or ``.env``) the notebooks talk to the real Aura
API. Without them, a local simulator is started in the background first (its world kept in
``$AURA_NB_HOME/simulator-state.json``, so it survives restarts) and every kernel started by this
JupyterLab is pointed at it through the environment. One line says which mode is active.

The same environment is what the test session gives nbval's kernels (`simulator_environment`), so
a notebook behaves alike under both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from .core import config
from .core.credentials import credentials_configured

__all__ = ["simulator_environment", "start_test_simulator", "start_simulator", "simulator_client",
           "jupyter_lab_command", "main"]

SIMULATOR_SEED = 0
# Notebook runs under test: creating an instance takes about a second, each state still shows.
TEST_SIMULATOR_SPEED = 100
#: The token limit of the simulators the notebooks run against here (the lab's and the test
#: session's): 0, lifted. The service issues 15 tokens an hour per client id; every notebook's
#: kernel needs one of its own (kernels share no memory, and tokens never touch disk), so a Run
#: All of every notebook fetches more than 15, and these simulators' hours pass in minutes
#: (6 at the lab's speed 10, 36 s at 100). Notebook 01 shows the limit on a simulator of its
#: own; the real-mode journeys keep it (tests/helpers/journeys.py).
NOTEBOOK_TOKEN_LIMIT = 0


def simulator_environment(base_url: str, client_id: str, client_secret: str,
                          home: Path) -> dict[str, str]:
    """The variables that point kernels at a local simulator (simulator mode).

    Every ``AURA_*`` credential variable is set (aliases emptied) so that a developer's real
    ``.env`` can never take over: python-dotenv never overrides the environment.
    """
    return {
        "AURA_BASE_URL": base_url,
        "AURA_CLIENT_ID": client_id,
        "AURA_CLIENT_SECRET": client_secret,
        "AURA_API_CLIENT_ID": "",
        "AURA_API_CLIENT_SECRET": "",
        "AURA_NB_HOME": str(home),
    }


def start_test_simulator(home: Path):
    """Start the in-process simulator that notebook runs are checked against (nbval and the
    script that regenerates the committed outputs use the same one): ``(simulator, env)``.
    Its token limit is lifted (`NOTEBOOK_TOKEN_LIMIT`)."""
    from .simulator import Simulator

    sim = Simulator(seed=SIMULATOR_SEED, speed=TEST_SIMULATOR_SPEED, token_limit=0).start()
    env = simulator_environment(sim.base_url, sim.client_id, sim.client_secret, home)
    env["AURA_SIMULATOR_SPEED"] = str(TEST_SIMULATOR_SPEED)
    env["AURA_SIMULATOR_ADMIN_TOKEN"] = sim.admin_token     # for SimulatorAdmin in kernels
    return sim, env


def start_simulator(home: Path, speed: float,
                    account: str | None = None) -> tuple[subprocess.Popen, str]:
    """Run ``python -m aura_nb.simulator`` and wait for the line that gives its base URL.

    It runs in its own session so that Ctrl-C in the terminal reaches JupyterLab only (which
    asks whether to shut down); `main` stops the simulator when JupyterLab has exited."""
    home.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "aura_nb.simulator", "--port", "0",
               "--seed", str(SIMULATOR_SEED), "--speed", f"{speed:g}",
               "--token-limit", str(NOTEBOOK_TOKEN_LIMIT),
               "--state", str(home / "simulator-state.json")]
    if account:
        command += ["--account", account]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "http://" not in line:
        proc.kill()
        raise SystemExit("aura_nb.lab: the simulator did not start; run "
                         "`python -m aura_nb.simulator` to see why")
    url = line[line.index("http://"):].split()[0]
    return proc, url


def simulator_client() -> tuple[str, str]:
    """The client id and secret the simulator started by `start_simulator` accepts (its own
    rule: its default id; ``$AURA_SIMULATOR_CLIENT_SECRET``, else its default secret)."""
    from .simulator.__main__ import build_parser, client_secret

    args = build_parser().parse_args([])
    return args.client_id, client_secret(args)


#: JupyterLab settings the kit's Labs start with (read-only overrides; the hub's too): a learner
#: is not asked on first start whether Lab may fetch Jupyter's news from the internet, and Lab
#: does not look for updates there.
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification":
                 {"fetchNews": "false", "checkForUpdates": False}}


def lab_settings_dir(home: Path) -> Path | None:
    """``home/lab-settings``, holding `LAB_OVERRIDES` as JupyterLab's ``overrides.json``;
    ``None`` when it cannot be written (Lab then starts with its own settings, question and all)."""
    folder = home / "lab-settings"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2) + "\n")
    except OSError:
        return None
    return folder


def jupyter_lab_command(notebooks: Path, args: list[str], settings: Path | None = None) -> list[str]:
    """The ``jupyter lab`` command line: ``--allow-root`` is added when running as root, since
    JupyterLab refuses to start as root without it (containers, Binder-like images, cloud VMs).
    JupyterLab's news feed is off (``--LabApp.news_url=None``) unless ``args`` name one, and
    ``settings`` (`lab_settings_dir`) is its settings folder unless ``args`` name another: a
    learner is not asked on first start whether Lab may fetch news from the internet."""
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={notebooks}", *args]
    if not any(arg.startswith("--LabApp.news_url") for arg in args):
        command.append("--LabApp.news_url=None")
    if settings is not None and not any(arg.startswith("--LabApp.app_settings_dir") for arg in args):
        command.append(f"--LabApp.app_settings_dir={settings}")
    if os.geteuid() == 0 and "--allow-root" not in args:
        print("Running as root (usual in containers), so JupyterLab is started with "
              "--allow-root.", flush=True)
        command.append("--allow-root")
    return command


def main(argv: list[str] | None = None) -> int:
    """Start JupyterLab (and the simulator when no real credentials are configured)."""
    args = list(sys.argv[1:] if argv is None else argv)
    repo = Path.cwd()
    notebooks = repo / "notebooks"
    if not notebooks.is_dir():  # an installed kit (`aura-nb lab`) in a folder of notebooks, or not
        notebooks = repo
        if not (repo / "00-start-here.ipynb").exists():
            print("No notebooks here: `aura-nb notebooks DIR` copies them into DIR; start "
                  "`aura-nb lab` there.", flush=True)
    env = dict(os.environ)
    simulator = None
    if credentials_configured():
        home = config.nb_home()
        print(f"Real mode: the notebooks use the Aura API at {config.base_url()} "
              f"(credentials from the environment or .env).", flush=True)
    else:
        home = Path(env.get("AURA_NB_HOME") or repo / ".aura_nb").resolve()
        speed = config.simulator_speed()
        # From the environment or .env: the simulator itself sees only the environment.
        account = config.simulator_account()
        simulator, url = start_simulator(home, speed, account)
        env.update(simulator_environment(url, *simulator_client(), home))
        print(f"Simulator mode: no real credentials configured (see .env.example), so the "
              f"notebooks use the local Aura API simulator at {url}, {speed:g}x faster than "
              f"the real service{f', as a {account} account' if account else ''}.", flush=True)
    lab = subprocess.Popen(jupyter_lab_command(notebooks, args, lab_settings_dir(home)), env=env)

    def _forward(_signum, _frame):
        lab.send_signal(signal.SIGTERM)

    # SIGHUP too: the simulator has its own session, so a closed terminal would not stop it.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _forward)
    try:
        while True:
            try:
                return lab.wait()
            except KeyboardInterrupt:
                continue  # JupyterLab asks for confirmation itself; keep waiting for it
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
