"""An interrupt of a real kernel while the form's create is in flight (issue 20, case 3).

The kernel (jupyter_client, as JupyterLab runs one) clicks Create; the simulator carries the
create out late; the kernel is interrupted while the request is in flight. The create is
finished, its password saved, the form says so (never "Creating…"), and a second click finds
the instance instead of creating another."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from tests.helpers.clock import wait_until
from tests.helpers.simulator import instances_named, requests_made

SETUP = """
import threading, requests
from aura_nb.core.transport import Transport

def _faults(latency):  # the simulator's admin surface, as tests.helpers.simulator.admin calls it
    requests.post({base!r} + "/_simulator/faults", json={{"latency": latency}}, timeout=5,
                  headers={{"X-Simulator-Admin-Token": {token!r}}})

_exchange = Transport.exchange

def _slow_create(self, method, url, path, **kwargs):  # the create is carried out late
    if method == "POST" and path.endswith("/instances"):
        _faults({late!r})
        threading.Timer(0.1, _faults, (0,)).start()
    return _exchange(self, method, url, path, **kwargs)

Transport.exchange = _slow_create
from aura_nb import AuraClient
from aura_nb.widgets import CreateInstanceForm
client = AuraClient(base_url={base!r}, client_id={cid!r}, client_secret={secret!r}, speed=100,
                    vault_dir={vault!r}, journal_dir={journal!r}, rate_limit=0)
form = CreateInstanceForm(client, "Learning Project", name={name!r})
client.list_instances()
print("ready")
"""


def run(kc, code: str, timeout: float = 30) -> tuple[str, str, dict]:
    """Execute ``code`` and return its stdout, stderr and the reply's content."""
    msg_id = kc.execute(code)
    out, err = [], []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            (out if msg["content"]["name"] == "stdout" else err).append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    return "".join(out), "".join(err), reply["content"]


@pytest.mark.parametrize("name, late", [("kernel-stop", 1.0), ("kernel-stop-late", 1.6)])
def test_interrupting_the_kernel_mid_create_saves_the_password_and_the_form_says_so(
        sim, tmp_path, name, late):
    sockets = tempfile.mkdtemp(prefix="aura_nb-kernel-")
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    env["AURA_NB_HOME"] = str(tmp_path / "home")
    manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "k"))
    manager.start_kernel(env=env, cwd=str(tmp_path))
    kc = manager.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        vault, journal = tmp_path / "vault", tmp_path / "intents"
        out, err, _ = run(kc, SETUP.format(base=sim.base_url, cid=sim.client_id,
                                           secret=sim.client_secret, vault=str(vault),
                                           journal=str(journal), name=name,
                                           token=sim.admin_token, late=late))
        assert out == "ready\n", err
        msg_id = kc.execute("form.create_button.click()")
        assert wait_until(lambda: requests_made(sim)["POST /v1/instances"] == 1, 5)
        time.sleep(0.1)
        manager.interrupt_kernel()
        out, err = [], []
        while True:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                err.append(msg["content"]["text"])
            if msg["msg_type"] == "error":
                out.append(msg["content"]["ename"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        assert out == ["KeyboardInterrupt"], err
        (instance,) = instances_named(sim, name)
        saved = [p for p in vault.glob("*") if instance.id in p.name]
        assert saved and "NEO4J_PASSWORD=" in saved[0].read_text()

        out, err, _ = run(kc, "print(form.state); print(form.status_text)")
        state, text = out.split("\n", 1)
        assert state == "interrupted" and f"finished: instance {instance.id}" in text, out + err
        assert "Creating" not in text

        out, err, _ = run(kc, "form.create_button.click(); print(form.state)")
        assert out == "duplicate\n", err
        assert requests_made(sim)["POST /v1/instances"] == 1 and len(instances_named(sim, name)) == 1
    finally:
        kc.stop_channels()
        manager.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
