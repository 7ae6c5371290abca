"""``python -m aura_nb.simulator``: run the local Aura API simulator until SIGINT/SIGTERM.

Prints exactly one line once it listens (the base URL, never the secret) and exits 0 on
SIGINT or SIGTERM, saving the ``--state`` file first.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from ipaddress import ip_address

from .faults import parse_spec
from .server import Simulator


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (defaults match ``Simulator``'s)."""
    p = argparse.ArgumentParser(
        prog="python -m aura_nb.simulator",
        description="Local simulator of the Neo4j Aura API: POST /oauth/token and /v1/...")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    p.add_argument("--client-id", default="simulator-client",
                   help="API client id accepted by /oauth/token (default simulator-client)")
    p.add_argument("--client-secret", default="simulator-secret",
                   help="API client secret (default simulator-secret)")
    p.add_argument("--state", metavar="FILE",
                   help="JSON file holding the world: loaded at start if present, saved on change")
    p.add_argument("--seed", type=int, default=0, help="seed for ids and durations (default 0)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="virtual seconds per real second (default 1)")
    p.add_argument("--rate-limit", type=int, default=125,
                   help="requests per virtual minute per client, 0 = off (default 125)")
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
                        client_secret=args.client_secret, state_file=args.state,
                        faults=faults, host=args.host, port=args.port)
        sim.start()
    except (ValueError, OSError) as error:
        print(f"aura_nb.simulator: {error}", file=sys.stderr)
        return 2
    try:
        loopback = ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        print("aura_nb.simulator: warning: listening beyond this machine with well-known "
              "credentials", file=sys.stderr)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"Aura API simulator listening on {sim.base_url} (client id {sim.client_id}, "
          f"seed {args.seed}, speed {args.speed:g})", flush=True)
    while not stop.wait(0.5):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
