"""A JupyterHub for one class on one machine, to try `aura-nb workshop provision --hub` locally.

    jupyterhub -f hub/jupyterhub_config.py        # from the repository (or any folder: see below)

What it sets up (everything on 127.0.0.1):

- One shared password: every user on ``AURA_HUB_USERS`` logs in with ``AURA_HUB_PASSWORD`` (at
  least 8 characters). That is JupyterHub's ``SharedPasswordAuthenticator`` (5.3+), which replaced
  ``DummyAuthenticator.password`` (deprecated since 5.3; JupyterHub warns when it is used). Fine
  for a laptop or a closed room, never for a hub on the internet. No user is an admin: the
  instructor's tool uses the service below.
- ``SimpleLocalProcessSpawner``: each user's JupyterLab runs as the hub's own OS user, in its own
  home folder ``$AURA_HUB_DIR/homes/<user>``. No OS accounts are made.
- The proxy: the Python port of ``configurable-http-proxy`` (PyPI, the kit's ``hub`` extra) when
  it is installed, else npm's ``configurable-http-proxy`` found on ``PATH``.
- A service ``aura-nb-instructor`` for the instructor's tool, with only the scopes it needs
  (``list:users``, ``servers``, ``access:servers``). Its token is read from
  ``$AURA_HUB_DIR/instructor.token`` (made, mode 0600, on first start); pass that file to
  ``aura-nb workshop provision --hub URL --hub-token-file FILE``.
- Each user's server loads the kit's server extension ``aura_nb.workshop.hub_server``, which
  writes a hand-out's ``.env`` with mode 0600 (Jupyter's contents API can neither write a hidden
  file nor choose a file's mode). The kit must be installed in the users' environment.

Settings (environment variables, all optional except the password):

| variable | default | meaning |
|---|---|---|
| ``AURA_HUB_PASSWORD`` | (required) | the shared password of every user, 8 characters or more |
| ``AURA_HUB_USERS`` | ``ada,grace,alan`` | the class: user names, comma-separated |
| ``AURA_HUB_PORT`` | ``8000`` | the hub's public port; the proxy's API uses the next one, the hub the one after |
| ``AURA_HUB_DIR`` | ``./.aura_nb/hub`` | the hub's database, cookie secret, token file and the users' homes |
"""

import os
import secrets
import shutil
import sys
from pathlib import Path

from aura_nb.lab import lab_settings_dir

c = get_config()  # noqa: F821 - JupyterHub provides get_config() to its configuration file

state = Path(os.environ.get("AURA_HUB_DIR") or ".aura_nb/hub").resolve()
state.mkdir(parents=True, exist_ok=True, mode=0o700)
port = int(os.environ.get("AURA_HUB_PORT") or 8000)
password = os.environ.get("AURA_HUB_PASSWORD") or ""
if len(password) < 8:
    sys.exit("set AURA_HUB_PASSWORD to the class's shared password (8 characters or more) before starting the hub")
users = {u.strip() for u in (os.environ.get("AURA_HUB_USERS") or "ada,grace,alan").split(",") if u.strip()}

# --- where: loopback only -------------------------------------------------------------------
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 1}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port + 2
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the users' servers
c.JupyterHub.cleanup_proxy = True

# The Python port of configurable-http-proxy (pip) beside this Python, else npm's on PATH.
here = Path(sys.executable).parent / "configurable-http-proxy"
proxy = str(here) if here.exists() else shutil.which("configurable-http-proxy")
if proxy:
    c.ConfigurableHTTPProxy.command = [proxy]

# --- who: a shared password, a fixed class ----------------------------------------------------
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = password
c.Authenticator.allowed_users = users

# --- each user's JupyterLab: a local process in its own home ---------------------------------
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "homes" / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
# JupyterLab asks every new user whether it may fetch Jupyter's news from the internet: not in
# an offline class. The kit's settings overrides (read-only for the users) say no.
lab_settings = lab_settings_dir(state)
c.Spawner.args = [
    "--ServerApp.jpserver_extensions=aura_nb.workshop.hub_server=True",  # the hand-out's 0600 .env
    "--LabApp.news_url=None",
    f"--LabApp.app_settings_dir={lab_settings}",
]
if os.geteuid() == 0:  # containers: Jupyter refuses root unless told
    c.Spawner.args.append("--allow-root")
# Stopping a server: Jupyter answers SIGINT by asking for a confirmation nobody gives (10 s lost
# per server); SIGTERM stops it cleanly at once.
c.LocalProcessSpawner.interrupt_timeout = 1
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60

# --- the instructor's tool: a service with a token and the fewest scopes it needs -------------
token_file = state / "instructor.token"
if not token_file.exists():
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
c.JupyterHub.services = [{"name": "aura-nb-instructor", "api_token": token_file.read_text().strip()}]
c.JupyterHub.load_roles = [{
    "name": "aura-nb-instructor",
    "description": "aura-nb workshop provision/teardown --hub: list the class, start servers, write hand-outs",
    "scopes": ["list:users", "servers", "access:servers"],
    "services": ["aura-nb-instructor"],
}]
