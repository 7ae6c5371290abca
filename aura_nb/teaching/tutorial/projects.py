"""Notebook 12's helpers: organizations, projects, a multi-database instance, Neo4j's CLI.

v2beta1 has no client methods beyond organizations and projects, so these go through
``client.request``, the same funnel as the kit's methods. `aura_nb.teaching.tutorial` re-exports every
name here, so a notebook writes ``tutorial.multi_database_instance(client)``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aura_nb.core import config
from aura_nb.core.client import AuraClient
from aura_nb.core.display import REDACTED
from aura_nb.core.errors import AuraError, BadRequest, InstanceWaitTimeout, ServerError
from aura_nb.core.models import InstanceConfiguration, Project, parse_size

__all__ = [
    "MULTIDB_NAME",
    "MULTI_DATABASE_TYPES",
    "NEO4J_CLI_INSTALL",
    "project_path",
    "both_views",
    "MultiDatabaseInstance",
    "multi_database_offer",
    "multi_database_instance",
    "database_id",
    "add_database",
    "backup_database",
    "Neo4jCliFailed",
    "Neo4jCli",
    "neo4j_cli",
]

#: The multi-database instance notebook 12 creates (a ``nb-`` name, so notebook 99 deletes it).
MULTIDB_NAME = "nb-multidb"
#: The v1 configuration types whose instances may hold several databases, with the v2beta1 create
#: ``type`` for each (v2beta1 refuses the v1 name ``enterprise-db``).
MULTI_DATABASE_TYPES = {"business-critical": "business-critical",
                        "enterprise-db": "virtual-dedicated-cloud"}
#: How ``pip`` installs the CLI notebook 12 uses (``./dev lab`` installs it).
NEO4J_CLI_INSTALL = "pip install 'neo4j-cli==1.18.1'"


def project_path(project: Project, *rest: str) -> str:
    """``/v2beta1/organizations/{org_id}/projects/{project_id}[/rest...]`` for a project from
    ``client.list_projects()`` or ``find_project()``: the organization id first, then the
    project's (the v1 tenant id). Sends nothing."""
    return "/".join([f"/v2beta1/organizations/{project.organization_id}/projects/{project.id}",
                     *rest])


def both_views(client: AuraClient, project: Project, instance_id: str) -> tuple[dict, dict | None]:
    """One instance as v1 and as v2beta1 answer for it: ``GET /v1/instances/{instance_id}`` and
    ``GET /v2beta1/organizations/{org_id}/projects/{project_id}/instances/{instance_id}``. The
    v2beta1 view is ``None``, after one line saying so, when that read fails with a 5xx (the
    real API was seen answering 500 there for instances created on v1).
    Raises what ``client.request`` raises for the v1 read."""
    v1_view = client.request("GET", f"/v1/instances/{instance_id}")
    try:
        v2_view = client.request("GET", project_path(project, "instances", instance_id))
    except ServerError as failed:
        print(f"v2beta1 could not read this v1-created instance ({failed.status_code}); a known "
              "issue of the API, so only the v1 view is shown.")
        return v1_view, None
    return v1_view, v2_view


@dataclass(frozen=True)
class MultiDatabaseInstance:
    """The multi-database instance of notebook 12: its project and id; `path` is its v2beta1
    URL path, `databases_path` that of its databases."""

    project: Project
    id: str
    name: str = MULTIDB_NAME

    @property
    def path(self) -> str:
        return project_path(self.project, "instances", self.id)

    @property
    def databases_path(self) -> str:
        return f"{self.path}/databases"


def multi_database_offer(client: AuraClient) -> tuple[Project, InstanceConfiguration] | None:
    """The first project offering a tier with multi-database instances (`MULTI_DATABASE_TYPES`),
    with the smallest such configuration it offers; ``None`` when no project does.
    ``GET /v2beta1/organizations``, ``.../projects``, ``GET /v1/tenants/{tenantId}`` per project."""
    for project in client.list_projects():
        offers = [c for c in client.get_tenant(project.id).instance_configurations
                  if c.type in MULTI_DATABASE_TYPES]
        if offers:
            return project, min(offers, key=lambda c: (parse_size(c.memory), c.type))
    return None


def multi_database_instance(client: AuraClient, name: str = MULTIDB_NAME,
                            timeout: float = 1200) -> MultiDatabaseInstance | None:
    """The multi-database instance ``name``, running: found by name in the first project that
    offers Business Critical or Virtual Dedicated Cloud, else created there with a v2beta1
    ``POST .../projects/{project_id}/instances`` and ``"multi_database": true``
    (`AuraClient.create_project_instance`: journalled, its one-time password goes to the vault;
    the vault is checked writable first). Prints one line saying
    what it found or made, or why the step is skipped (no such tier; ``400
    missing-billing-details``), and then returns ``None``. Never sends the POST twice.
    Raises what ``client.request`` and ``wait_for_instance`` raise."""
    found = multi_database_offer(client)
    if found is None:
        print("Skipped: none of your projects offers business-critical or "
              "virtual-dedicated-cloud, the tiers with multi-database instances.")
        return None
    project, offer = found
    existing = client.find_live_instance(name, project.id)
    if existing is not None:
        instance_id = existing.id
    else:
        body = {"name": name, "type": MULTI_DATABASE_TYPES[offer.type], "multi_database": True,
                "cloud_provider": offer.cloud_provider, "region": offer.region,
                "memory": offer.memory}
        try:
            created = client.create_project_instance(project, body)
        except BadRequest as refused:
            if refused.reason != "missing-billing-details":
                raise
            print(f"Skipped: {body['type']} needs billing details on this account "
                  "(400 missing-billing-details); add them in the console to try this step.")
            return None
        instance_id = created.id
    instance = client.wait_for_instance(instance_id, "running", timeout)
    print(f"{instance.name} ({instance.type}, {instance.memory}) in {project.name}: {instance.status}")
    return MultiDatabaseInstance(project, instance_id, name)


#: Where `add_database` remembers the ids of the databases it added, by instance and name.
DATABASES_FILE = "databases.json"


def _remembered() -> dict:
    path = config.nb_home() / DATABASES_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def database_id(instance: MultiDatabaseInstance, name: str,
                databases: list[dict] | None = None) -> str | None:
    """The id of the database ``name`` of ``instance``: the one `add_database` added (its id is
    kept in ``$AURA_NB_HOME/databases.json``), else one that ``databases`` (a listing) names, if
    the API gave names. ``None`` when neither knows it. Sends nothing."""
    known = _remembered().get(instance.id, {}).get(name)
    listed = [d["id"] for d in databases or [] if d.get("name") == name]
    ids = [d["id"] for d in databases] if databases is not None else None
    if known and (ids is None or known in ids):
        return known
    return listed[0] if listed else None


def add_database(client: AuraClient, instance: MultiDatabaseInstance, name: str) -> list[dict]:
    """Add the database ``name`` to a multi-database instance unless it has it already, then list
    them all: ``GET .../instances/{instance_id}/databases``, ``POST .../databases`` with
    ``{"name": ...}`` (answered 201 with the id), the list again. The API's database list and
    detail carry only ids (``DatabaseSummary`` is ``{"id"}``), so "has it already" is decided
    by the id remembered from an earlier run (`database_id`), not by a name: a rerun never
    POSTs a second database. Raises `Conflict` (``multi-db-only``) on a single-database
    instance."""
    if database_id(instance, name, client.request("GET", instance.databases_path)) is None:
        created = client.request("POST", instance.databases_path, json={"name": name})
        remembered = _remembered()
        remembered.setdefault(instance.id, {})[name] = created["id"]
        path = config.nb_home() / DATABASES_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(remembered, indent=1), encoding="utf-8")
    return client.request("GET", instance.databases_path)


def backup_database(client: AuraClient, instance: MultiDatabaseInstance, database_id: str,
                    timeout: float = 600) -> dict:
    """Take a backup of one database and wait until it is ``Completed`` or ``Failed``:
    ``POST .../databases/{database_id}/backups`` (202, its ``id``), then polls
    ``GET .../backups/{backup_id}`` (``Pending``, ``InProgress``, ...) a few seconds apart.
    Returns the backup's last details. Raises `InstanceWaitTimeout` after ``timeout`` seconds
    (in the service's time)."""
    backups = f"{instance.databases_path}/{database_id}/backups"
    backup_id = client.request("POST", backups)["id"]
    deadline = time.monotonic() + timeout / client.speed
    while True:
        backup = client.request("GET", f"{backups}/{backup_id}")
        if backup["status"] in ("Completed", "Failed"):
            return backup
        if time.monotonic() > deadline:
            raise InstanceWaitTimeout(f"backup {backup_id} of database {database_id} is still "
                                      f"{backup['status']} after {timeout:.0f} s; ask again later "
                                      f"with GET {backups}/{backup_id}", instance_id=instance.id,
                                      status=backup["status"], target="Completed")
        time.sleep(5 / client.speed)


class Neo4jCliFailed(AuraError):
    """Raised by `Neo4jCli` when ``neo4j-cli`` exits with an error: its own message (stderr,
    with the client secret masked should it appear)."""


class Neo4jCli:
    """Neo4j's official ``neo4j-cli`` pointed at the client's API (``--base-url``,
    ``--auth-url``) in a home of its own: a temporary ``HOME`` and XDG folders, telemetry and
    skill refresh off, any request to a non-loopback host sent to a dead proxy, and the client's
    credentials added from a 0600 file (never on the command line, never printed). Use it in a
    ``with`` block: leaving it deletes the temporary home, credentials included."""

    def __init__(self, client: AuraClient, executable: str) -> None:
        self.client = client
        self.executable = executable
        self.home = Path(tempfile.mkdtemp(prefix="neo4j-cli-"))
        self.env = {**{k: v for k, v in os.environ.items()
                       if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "neo4j_debug")},
                    "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"),
                    "XDG_CACHE_HOME": str(self.home / ".cache"),
                    "XDG_DATA_HOME": str(self.home / ".local" / "share"),
                    "XDG_STATE_HOME": str(self.home / ".local" / "state"),
                    "NEO4J_CLI_NO_UPDATE_NAG": "1",
                    "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
        try:
            self.run("config", "set", "telemetry", "false", "--rw")
            self.run("config", "set", "skill-auto-refresh", "false", "--rw")
            creds = self.home / "aura-client.txt"
            creds.touch(mode=0o600)
            creds.write_text(f"CLIENT_ID={client.credentials.client_id}\n"
                             f"CLIENT_SECRET={client.credentials.client_secret}\n")
            try:
                self.run("credential", "aura-client", "add", "--name", "notebook",
                         "--env", str(creds), "--rw")
            finally:
                creds.unlink()
        except BaseException:
            self.close()
            raise

    def run(self, *args: str) -> str:
        """``neo4j-cli *args``; its standard output. Raises `Neo4jCliFailed`."""
        done = subprocess.run([self.executable, *args], env=self.env, capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            why = (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}")
            why = why.replace(self.client.credentials.client_secret, REDACTED)
            raise Neo4jCliFailed(f"neo4j-cli {' '.join(args[:3])} failed: {why}")
        return done.stdout

    def aura(self, *args: str) -> Any:
        """``neo4j-cli aura *args --base-url ... --auth-url ... --format json``: the ``data`` of
        its JSON output."""
        base = self.client.base_url
        out = self.run("aura", *args, "--base-url", base, "--auth-url", f"{base}/oauth/token",
                       "--format", "json")
        return json.loads(out)["data"]

    def close(self) -> None:
        """Delete the temporary home (the CLI's configuration and stored credentials)."""
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> "Neo4jCli":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jCli({self.client.base_url!r})"


def neo4j_cli(client: AuraClient) -> Neo4jCli | None:
    """A `Neo4jCli` for the client's simulator; ``None`` after one line saying why not: the
    client talks to a real account (run the CLI in a terminal there), or ``neo4j-cli`` is not
    installed (how to install it). Runs ``neo4j-cli config set`` and ``credential add``."""
    if client.mode != "simulator":
        print("Against a real account, run neo4j-cli in a terminal: neo4j-cli credential "
              "aura-client add --name mine --env <the console's credentials file>, then "
              "neo4j-cli aura project list.")
        return None
    beside = Path(sys.executable).parent / "neo4j-cli"
    executable = str(beside) if beside.exists() else shutil.which("neo4j-cli")
    if executable is None:
        print(f"neo4j-cli is not installed, so this step is skipped: {NEO4J_CLI_INSTALL} "
              "(./dev lab installs it).")
        return None
    return Neo4jCli(client, executable)
