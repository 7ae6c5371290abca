"""A class on a real local JupyterHub (``hub/jupyterhub_config.py``: DummyAuthenticator,
SimpleLocalProcessSpawner, the Python configurable-http-proxy, all on 127.0.0.1).

One hub for the module, three users. ``aura-nb workshop provision --hub`` provisions the class
against a simulator the attendees reach by this machine's name (``--public-host``, plain http:
their ``.env`` says ``AURA_ALLOW_HTTP=1``); one server that cannot start is reported and skipped;
re-runs finish the job, then change nothing; notebook 03 run in an attendee's home finds their own
instance; ``teardown --hub`` removes only what it wrote. The hub, its proxy and the single-user
servers are stopped afterwards, and the test checks that none is left.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests

from aura_nb.core.client import AuraClient
from aura_nb.core.envfile import read_env
from aura_nb.simulator import Simulator
from aura_nb.workshop.__main__ import main as workshop_main
from aura_nb.workshop.manifest import Manifest

from tests.helpers import SPEED
from tests.helpers.clock import wait_until
from tests.helpers.kernels import execute_notebook
from tests.helpers.workshop import TENANT

pytest.importorskip("jupyterhub", reason="the hub extra (pip install -e '.[hub]') is not installed")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
USERS = ("ada", "alan", "grace")
PREFIX = "hubcls"
FOLDER = f"aura-{PREFIX}"
PASSWORD = "class-password-for-the-test"


def _free_ports(count: int = 3) -> int:
    """A port ``p`` with ``p .. p+count-1`` free (the hub, the proxy's API, the hub's API)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no three free ports in a row")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """The simulator (reachable by this machine's name too) and the hub with three users; both
    stopped afterwards, with a check that no hub, proxy or server process is left."""
    tmp = tmp_path_factory.mktemp("hub")
    name = socket.gethostname()
    try:
        public = name if socket.gethostbyname(name) == "127.0.0.1" else None
    except OSError:
        public = None
    sim = Simulator(seed=0, speed=SPEED, public_hosts=[name] if public else None).start()
    state = tmp / "hub"
    state.mkdir()
    config = tmp / "test_jupyterhub_config.py"
    config.write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(ROOT / 'hub' / 'jupyterhub_config.py')!r})  # noqa: F821\n"
        "from pathlib import Path\n"
        "def refuse_broken(spawner):  # a server the test breaks on purpose\n"
        f"    if (Path({str(state)!r}) / ('broken-' + spawner.user.name)).exists():\n"
        "        raise RuntimeError('the test broke this server')\n"
        "c.Spawner.pre_spawn_hook = refuse_broken\n")
    port = _free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AURA_", "JUPYTERHUB_"))}
    env.update(AURA_HUB_DIR=str(state), AURA_HUB_PORT=str(port), AURA_HUB_PASSWORD=PASSWORD,
               AURA_HUB_USERS=",".join(USERS), PYTHONPATH=str(ROOT))
    log = open(tmp / "hub.log", "w")
    hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp, env=env,
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{url}/hub/api/", timeout=2).status_code == 200
        except requests.RequestException:
            return hub.poll() is not None

    wait_until(up, 60)
    assert hub.poll() is None, (tmp / "hub.log").read_text()[-3000:]
    processes: set[int] = set()
    try:
        yield {"sim": sim, "url": url, "state": state, "token_file": state / "instructor.token",
               "api_url": f"http://{public or '127.0.0.1'}:{sim.port}", "public": public,
               "tmp": tmp, "processes": processes, "hub": hub}
    finally:
        processes |= _descendants(hub.pid)
        hub.send_signal(signal.SIGTERM)  # cleanup_servers: the hub stops the servers and the proxy
        try:
            hub.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, signal.SIGKILL)
            hub.wait()
        log.close()
        sim.stop()
        left = {pid for pid in processes if _alive(pid)}
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes left after the hub stopped: {sorted(left)}"


def _workshop(room, home: Path, vault: Path, *argv: str) -> tuple[int, str]:
    """``aura-nb workshop ...`` in this process as the instructor (the hub token from its file)."""
    sim = room["sim"]
    client = AuraClient(base_url=sim.base_url, client_id=sim.client_id, client_secret=sim.client_secret,
                        speed=SPEED, vault_dir=vault, journal_dir=home / "intents", tenant=TENANT, timeout=30)
    out, err = io.StringIO(), io.StringIO()
    try:
        code = workshop_main([*argv, "--prefix", PREFIX, "--home", str(home), "--hub", room["url"],
                              "--hub-token-file", str(room["token_file"])], out=out, err=err, client=client)
    finally:
        client.close()
        room["processes"] |= _descendants(room["hub"].pid)
    return code, out.getvalue() + err.getvalue()


def _home_files(state: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of every user's hand-out folder: path -> (mtime_ns, content)."""
    return {str(p.relative_to(state)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted((state / "homes").glob(f"*/{FOLDER}/**/*")) if p.is_file()}


def test_a_class_on_the_hub_from_provision_to_teardown(room, tmp_path, monkeypatch):
    state, sim = room["state"], room["sim"]
    home, vault = tmp_path / "instructor", tmp_path / "vault"
    monkeypatch.setenv("AURA_NB_HOME", str(home))
    provision = ("provision", "--tenant", TENANT, "--memory", "2GB", "--attendee-api-url", room["api_url"])

    # alan's server cannot start: he is reported and skipped, the others get their hand-outs
    (state / "broken-alan").write_text("")
    code, text = _workshop(room, home, vault, *provision)
    assert code == 1, text
    assert "3 created" in text
    assert "hub: alan: skipped: POST /hub/api/users/alan/server -> " in text
    assert "hub: ada: wrote 17 files to aura-hubcls/" in text and "hub: grace: wrote 17 files" in text
    assert not (state / "homes" / "alan" / FOLDER).exists()

    # repaired: the next run finishes alan and changes nothing for the others
    (state / "broken-alan").unlink()
    code, text = _workshop(room, home, vault, *provision)
    assert code == 0, text
    assert "0 created" in text and "hub: alan: wrote 17 files" in text
    assert "hub: nothing to change for 2: ada, grace" in text

    # a third run writes nothing and creates nothing
    before, requests_before = _home_files(state), len(sim.world.instances)
    code, text = _workshop(room, home, vault, *provision)
    assert code == 0, text
    assert "0 created" in text and "hub: nothing to change for 3: ada, alan, grace" in text
    assert _home_files(state) == before and len(sim.world.instances) == requests_before

    # each home, through the hub and on disk: the notebooks, a README, their own 0600 .env
    manifest = Manifest.load(home / "workshops" / PREFIX / "manifest.json", PREFIX)
    token = room["token_file"].read_text().strip()
    passwords = {u: read_env(next(vault.glob(f"{manifest.get(u).instance_id}-*.txt")))["NEO4J_PASSWORD"]
                 for u in USERS}
    for user in USERS:
        listing = requests.get(f"{room['url']}/user/{user}/api/contents/{FOLDER}",
                               headers={"Authorization": f"token {token}"}, timeout=30).json()
        names = {m["name"] for m in listing["content"]}
        assert {"00-start-here.ipynb", "03-create-instance.ipynb", "README.md", "data"} <= names
        folder = state / "homes" / user / FOLDER
        assert (folder / "03-create-instance.ipynb").read_bytes() == \
            (ROOT / "notebooks" / "03-create-instance.ipynb").read_bytes()
        env_file = folder / ".env"
        assert env_file.stat().st_mode & 0o777 == 0o600
        values = read_env(env_file)
        record = manifest.get(user)
        assert values["AURA_INSTANCEID"] == record.instance_id and values["AURA_TUTORIAL_INSTANCE"] == record.name
        assert values["NEO4J_PASSWORD"] == passwords[user]
        assert values["AURA_BASE_URL"] == room["api_url"] and values["AURA_NB_MODE"] == "real"
        assert values.get("AURA_ALLOW_HTTP") == ("1" if room["public"] else None)
        everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        for other in set(USERS) - {user}:
            assert passwords[other].encode() not in everything

    # ada opens 03 in her JupyterLab and runs it: it talks to the class's API and finds her own
    # instance instead of creating one; nothing to type
    ada = state / "homes" / "ada" / FOLDER
    nb = nbformat.read(ada / "03-create-instance.ipynb", as_version=4)
    kernel_env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    kernel_env.update(HOME=str(ada.parent), PYTHONPATH=str(ROOT))
    execute_notebook(nb, ada, kernel_env, timeout=120)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    shown = "\n".join(o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
                      for c in code_cells for o in c.outputs)
    unexpected = [o.get("evalue") for c in code_cells for o in c.outputs if o["output_type"] == "error"
                  and "raises-exception" not in c.metadata.get("tags", [])]
    assert unexpected == [], shown[-3000:]
    ada_record = manifest.get("ada")
    assert room["api_url"] in shown and f"{ada_record.name} running" in shown
    assert passwords["ada"] not in shown
    assert len(sim.world.instances) == requests_before  # 03 created nothing: she has hers

    # alan changes a notebook: provision keeps his copy and says so
    edited = state / "homes" / "alan" / FOLDER / "02-tenants.ipynb"
    edited.write_text(edited.read_text().replace("Tenants", "My tenants", 1))
    code, text = _workshop(room, home, vault, *provision)
    assert code == 0 and "hub: alan: kept 1 file they changed: 02-tenants.ipynb" in text, text
    assert "My tenants" in edited.read_text()

    # grace keeps a note in the folder; teardown removes exactly what it wrote, then the instances
    (state / "homes" / "grace" / FOLDER / "my-notes.txt").write_text("mine")
    code, text = _workshop(room, home, vault, "teardown", "--yes")
    assert code == 0, text
    assert "hub: ada: removed 17 files" in text and "hub: alan: removed 16 files" in text and "deleted 3" in text
    mine = {"alan": ["02-tenants.ipynb"], "grace": ["my-notes.txt"], "ada": []}
    for user in USERS:
        left = sorted(p.name for p in (state / "homes" / user).glob(f"{FOLDER}/*")
                      if p.name != ".ipynb_checkpoints")  # Jupyter's own, empty (made on delete)
        assert left == mine[user], left
        assert not (state / "homes" / user / FOLDER / ".env").exists()
    sim.advance(600)
    client = AuraClient(base_url=sim.base_url, client_id=sim.client_id, client_secret=sim.client_secret,
                        speed=SPEED, vault_dir=vault, journal_dir=home / "intents")
    try:
        ids = {manifest.get(u).instance_id for u in USERS}
        assert not ids & {i.id for i in client.list_instances()}
    finally:
        client.close()
