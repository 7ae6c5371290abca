"""``python -m aura_nb.simulator``: run the local Aura API simulator until SIGINT/SIGTERM.

Prints exactly one line once it listens (the base URL and where its admin token is kept, never a
secret) and exits 0 on SIGINT or SIGTERM, saving the ``--state`` file and removing the token file
first. The admin token goes to ``--admin-token-file``, by default
``simulator-admin-PORT.token`` beside the ``--state`` file, or in ``$AURA_NB_HOME`` (default
``~/.aura_nb``) without one; :class:`~aura_nb.simulator.remote.SimulatorAdmin` finds it there.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from . import admin
from .catalog import ACCOUNTS, DEFAULT_CLIENT
from .app import TOKEN_LIMIT
from .faults import parse_spec
from .loopback import is_loopback_host
from .server import Simulator


SECRET_ENV = "AURA_SIMULATOR_CLIENT_SECRET"
ACCOUNT_ENV = "AURA_SIMULATOR_ACCOUNT"


def account(args) -> str | None:
    """``--account``, else $AURA_SIMULATOR_ACCOUNT (empty: the default world)."""
    kind = args.account or os.environ.get(ACCOUNT_ENV, "").strip().lower() or None
    if kind is not None and kind not in ACCOUNTS:
        raise ValueError(f"{ACCOUNT_ENV}={kind!r}: use one of {', '.join(sorted(ACCOUNTS))}, "
                         "or leave it empty for the default world")
    return kind


def client_secret(args) -> str:
    """``--client-secret``, else ``--client-secret-file``, else $AURA_SIMULATOR_CLIENT_SECRET,
    else the default. Raises ValueError for an unreadable or empty file."""
    if args.client_secret is not None:
        return args.client_secret
    if args.client_secret_file:
        try:
            lines = Path(args.client_secret_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read --client-secret-file: {error}") from None
        if not lines or not lines[0].strip():
            raise ValueError("--client-secret-file is empty; put the secret on its first line")
        return lines[0].strip()
    return os.environ.get(SECRET_ENV) or DEFAULT_CLIENT[1]


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (defaults match ``Simulator``'s)."""
    p = argparse.ArgumentParser(
        prog="python -m aura_nb.simulator",
        description="Local simulator of the Neo4j Aura API: POST /oauth/token and /v1/...")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    p.add_argument("--client-id", default=DEFAULT_CLIENT[0],
                   help=f"API client id accepted by /oauth/token (default {DEFAULT_CLIENT[0]})")
    p.add_argument("--client-secret", default=None,
                   help=f"API client secret (default {DEFAULT_CLIENT[1]}); visible to every "
                        "user in the process list: prefer --client-secret-file or the environment "
                        f"variable {SECRET_ENV}")
    p.add_argument("--client-secret-file", metavar="FILE",
                   help="read the API client secret from the first line of FILE")
    p.add_argument("--admin-token-file", metavar="FILE",
                   help="where to keep the admin token (mode 0600; default "
                        "simulator-admin-PORT.token beside --state, else in $AURA_NB_HOME)")
    p.add_argument("--public-host", metavar="NAME", action="append", default=[],
                   help="a host name (or name:port) clients may use besides 127.0.0.1, "
                        "localhost and [::1]; repeat for several (needed with --host 0.0.0.0)")
    p.add_argument("--state", metavar="FILE",
                   help="JSON file holding the world: loaded at start if present, saved on change")
    p.add_argument("--seed", type=int, default=0, help="seed for ids and durations (default 0)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="virtual seconds per real second (default 1)")
    p.add_argument("--account", choices=sorted(ACCOUNTS), default=None,
                   help="seed the projects and rate limit of this kind of Aura account (default: "
                        f"${ACCOUNT_ENV}, else the default world of three projects)")
    p.add_argument("--rate-limit", type=int, default=None,
                   help="requests per virtual minute per client, 0 = off (default 125, or 25 "
                        "for --account free)")
    p.add_argument("--token-limit", type=int, default=TOKEN_LIMIT,
                   help=f"tokens per client per virtual hour before POST /oauth/token answers "
                        f"429, 0 = off (default {TOKEN_LIMIT}, as the service)")
    p.add_argument("--token-ttl", type=float, default=3600,
                   help="access-token lifetime in virtual seconds (default 3600)")
    p.add_argument("--faults", metavar="SPEC", default=None,
                   help="e.g. '5xx=0.05,429=0.02,drop=0.01,latency=0.2,lose=POST /v1/instances'")
    return p


def main(argv=None) -> int:
    """Run the simulator in the foreground; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        faults = parse_spec(args.faults) if args.faults else None
        sim = Simulator(seed=args.seed, speed=args.speed, rate_limit=args.rate_limit,
                        token_ttl=args.token_ttl, client_id=args.client_id,
                        client_secret=client_secret(args), state_file=args.state,
                        faults=faults, host=args.host, port=args.port,
                        public_hosts=args.public_host, account=account(args),
                        token_limit=args.token_limit)
        sim.start()
        sim.admin_token_file = Path(args.admin_token_file) if args.admin_token_file else \
            admin.token_file(sim.port, Path(args.state).resolve().parent if args.state else None)
        admin.write_token(sim.admin_token_file, sim.admin_token)
    except (ValueError, OSError) as error:
        print(f"aura_nb.simulator: {error}", file=sys.stderr)
        return 2
    if not is_loopback_host(args.host):
        print("aura_nb.simulator: warning: listening beyond this machine with well-known "
              "credentials", file=sys.stderr)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"Aura API simulator listening on {sim.base_url} (client id {sim.client_id}, "
          f"seed {args.seed}, speed {args.speed:g}); admin token in {sim.admin_token_file}",
          flush=True)
    while not stop.wait(0.5):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
