"""How well does `wait_for_instances` spend its status requests? Prints figures, asserts nothing.

Creates N instances together on an in-process simulator, waits for all of them, and reports
(in server seconds, read from the simulator's world):

* status requests (GET /v1/instances/{id}) per instance: in total, and after the first instance
  actually became ready;
* how late each instance was reported running after it truly became running (max and mean);
* when the last one was reported, against the floor (the moment the last one became ready);
* token requests and 429 answers.

Usage: python benchmarks/waiting.py [--n 20] [--speed 50] [--interval 10] [--creating 90,150]
       [--runs 3] [--expected SECONDS] [--goal each|all] [--concurrency 4] [--latency 0]

Figures seen on a 2-core machine (5 runs each, interval 10 s, concurrency 4):
  20 instances, creating 100-104 s, goal each: 1.00-1.05 status requests per instance after
    the first was ready (2.20-2.25 in all), none reported more than 8.5 s after it was ready.
  50 instances, creating 90-150 s, goal all: 1.32-1.50 status requests per instance,
    2.38-2.56 requests per instance in all (creates, tenant lookup and token included), last
    one reported at 1.007-1.061 x the floor (the moment the last one became ready).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aura_nb.core.client import AuraClient  # noqa: E402
from aura_nb.core.models import InstanceSpec, allowed_choices  # noqa: E402
from aura_nb.simulator import Simulator  # noqa: E402


def run_once(n: int, speed: float, interval: float, creating: tuple[float, float], seed: int,
             expected: float | None, goal: str = "each", concurrency: int = 4,
             latency: float = 0.0) -> dict:
    """One create-and-wait session; returns its figures (server seconds). ``latency``: server
    seconds the simulator adds to every answer."""
    with Simulator(seed=seed, speed=speed, durations={"creating": creating},
                   faults={"latency": latency / speed}) as sim, \
            tempfile.TemporaryDirectory() as vault:
        os.environ["AURA_NB_HOME"] = vault  # nothing learned before, nothing kept after
        client = AuraClient(sim.client_id, sim.client_secret, sim.base_url, speed=speed,
                            vault_dir=vault, rate_limit=125)
        tenant = client.find_tenant("Workshop Project")
        kind = allowed_choices(tenant)["type"][0]
        cloud = allowed_choices(tenant, kind)["cloud_provider"][0]
        region = allowed_choices(tenant, kind, cloud)["region"][0]
        memory = allowed_choices(tenant, kind, cloud, region)["memory"][0]
        start = sim.clock.now()
        created, ready_at = [], {}
        for i in range(n):
            item = client.create_instance(InstanceSpec(f"bench-{i:02d}", tenant.id, kind, cloud,
                                                       region, memory))
            created.append(item)
            ready_at[item.id] = sim.world.transition_end(item.id)
        first_ready = min(ready_at.values())
        polls: list[float] = []
        reported: dict[str, float] = {}

        def progress(event):
            now = sim.clock.now()
            if event.status is not None or not event.done:
                polls.append(now)
            if event.done and event.status == "running":
                reported[event.instance_id] = now

        before = sim.stats_snapshot()["requests"].get("GET /v1/instances/{instanceId}", 0)
        client.wait_for_instances(created, poll_interval=interval / speed, on_progress=progress,
                                  expected_duration=expected, goal=goal,
                                  concurrency=concurrency)
        stats = sim.stats_snapshot()
        gets = stats["requests"].get("GET /v1/instances/{instanceId}", 0) - before
        late = [reported[i] - ready_at[i] for i in ready_at]
        floor = max(ready_at.values()) - start
        return {
            "gets_per_instance": gets / n,
            "gets_after_first_ready": sum(1 for t in polls if t >= first_ready) / n,
            "max_late": max(late),
            "mean_late": statistics.mean(late),
            "over_interval": sum(1 for x in late if x > interval),
            "done_vs_floor": (max(reported.values()) - start) / floor,
            "requests_per_instance": sum(stats["requests"].values()) / n,
            "tokens": client.token_requests,
            "429s": stats["responses"].get("429", 0),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--speed", type=float, default=50.0)
    parser.add_argument("--interval", type=float, default=10.0,
                        help="poll interval in server seconds")
    parser.add_argument("--creating", default="90,150", help="creation duration range, server s")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--expected", type=float, default=None)
    parser.add_argument("--goal", choices=("each", "all"), default="each")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="status requests in flight at once (default 4)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="server seconds added to every answer (default 0)")
    args = parser.parse_args(argv)
    lo, hi = (float(x) for x in args.creating.split(","))
    print(f"{args.n} instances, creating {lo:g}-{hi:g} s, interval {args.interval:g} s, "
          f"speed {args.speed:g}, goal {args.goal}, concurrency {args.concurrency}, "
          f"latency {args.latency:g} s")
    header = ("seed", "GET/inst", "GET/inst after 1st ready", "late max", "late mean",
              "> interval", "done/floor", "req/inst", "tokens", "429s")
    print(" | ".join(header))
    started = time.monotonic()
    for seed in range(args.runs):
        r = run_once(args.n, args.speed, args.interval, (lo, hi), seed, args.expected, args.goal,
                     args.concurrency, args.latency)
        print(f"{seed} | {r['gets_per_instance']:.2f} | {r['gets_after_first_ready']:.2f} | "
              f"{r['max_late']:.1f} | {r['mean_late']:.1f} | {r['over_interval']} | "
              f"{r['done_vs_floor']:.3f} | {r['requests_per_instance']:.2f} | {r['tokens']} | "
              f"{r['429s']}")
    print(f"({time.monotonic() - started:.1f} s real)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
