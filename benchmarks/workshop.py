"""Benchmark: provision a class with the workshop kit, and with a naive script, on the simulator.

The kit waits with the core's ``client.wait_for_instances(goal="all")``.

    python benchmarks/workshop.py [--attendees 50] [--speed 10] [--rate-limit 125] [--seed 0]
                                  [--seeds 5] [--latency 0] [--skip-naive]

Each run gets a fresh in-process simulator with the same seed (so the same instance ids and the
same creation durations, 90-150 virtual seconds, scaled down by ``--speed``) and its rate limit on
(``--rate-limit`` requests per virtual minute). The naive baseline is written like the blog post
this kit grew from: one token, look the tenant up, create the instances one after the other, then
wait for each in turn by polling it at a fixed interval (it sleeps on ``Retry-After`` when it gets
a 429, so that it finishes at all).

The floor: the simulator knows each instance's true creation duration. With the requests the rate
limit lets through (its bucket holds ``rate-limit`` requests and refills at ``rate-limit`` per
virtual minute), one token request and N creates get the earliest slots they can; giving the
longest creations the earliest slots, the class cannot be ready before
``max_i(slot_i + duration_i)``. No client can beat that; a ratio of 1.00 means "as soon as the
service allows". Times printed in virtual (server) seconds; wall times are measured in real
seconds and multiplied by the speed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from aura_nb import AuraClient
from aura_nb.simulator import Simulator
from aura_nb.workshop import Attendee, ClassSpec, Guardrails, Workshop

TENANT = "Workshop Project"
SPEC = ClassSpec(type="professional-db", cloud_provider="gcp", region="europe-west1", memory="2GB")


@dataclass
class Run:
    """Figures of one provisioning run (times in virtual seconds)."""

    label: str
    wall: float
    requests: int
    tokens: int
    r429: int
    unhandled_429: int
    ready: int
    durations: dict[str, float]


def _stats(sim: Simulator) -> tuple[int, int, int]:
    stats = sim.stats_snapshot()
    return sum(stats["requests"].values()), stats["tokens_issued"], stats["responses"].get("429", 0)


def _duration(sim: Simulator, instance_id: str) -> float:
    """True creation duration of an instance, read from the simulator world while it is creating."""
    with sim.world.lock:
        instance = sim.world.instances[instance_id]
        return sim.world.transition_end(instance_id) - instance.created_at


def run_kit(sim: Simulator, attendees: list[Attendee], speed: float, rate: int, home: Path) -> Run:
    """Provision with ``aura_nb.workshop`` (threads, shared pacing, the core's waiting)."""
    durations: dict[str, float] = {}

    def progress(event):
        if event.kind == "created":
            durations[event.instance_id] = _duration(sim, event.instance_id)

    client = AuraClient(sim.client_id, sim.client_secret, sim.base_url, speed=speed, rate_limit=rate,
                        tenant=TENANT, vault_dir=home / "vault")
    workshop = Workshop(client, "bench", home=home)
    start = time.monotonic()
    report = workshop.provision(attendees, SPEC, guardrails=Guardrails(max_instances=len(attendees)),
                                handouts=False, on_progress=progress)
    wall = (time.monotonic() - start) * speed
    total, tokens, r429 = _stats(sim)
    unhandled = sum("429" in reason for reason in {**report.failed, **report.not_ready}.values())
    client.close()
    return Run("kit", wall, total, tokens, r429, unhandled, len(report.ready), durations)


def run_naive(sim: Simulator, attendees: list[Attendee], speed: float, interval: float) -> Run:
    """The blog-post approach: sequential creates, then poll each instance every ``interval``
    virtual seconds until it runs, one instance after the other."""
    base = sim.base_url
    durations: dict[str, float] = {}
    r429_seen = 0

    def get_token() -> str:
        answer = requests.post(f"{base}/oauth/token", auth=(sim.client_id, sim.client_secret),
                               data={"grant_type": "client_credentials"}, timeout=30)
        answer.raise_for_status()
        return answer.json()["access_token"]

    def call(method: str, path: str, token: str, body=None):
        nonlocal r429_seen
        while True:
            answer = requests.request(method, f"{base}/v1{path}", json=body, timeout=30,
                                      headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 429:
                break
            r429_seen += 1
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        answer.raise_for_status()
        return answer.json()["data"]

    start = time.monotonic()
    token = get_token()
    tenant_id = None
    for tenant in call("GET", "/tenants", token):
        if tenant["name"] == TENANT:
            tenant_id = tenant["id"]
    ids = []
    for attendee in attendees:
        body = {"name": f"naive-{attendee.name.lower().replace(' ', '-')}", "tenant_id": tenant_id,
                "version": "5", "type": SPEC.type, "cloud_provider": SPEC.cloud_provider,
                "region": SPEC.region, "memory": SPEC.memory}
        created = call("POST", "/instances", token, body)
        durations[created["id"]] = _duration(sim, created["id"])
        ids.append(created["id"])
    for instance_id in ids:
        while call("GET", f"/instances/{instance_id}", token)["status"] != "running":
            time.sleep(interval / speed)
    wall = (time.monotonic() - start) * speed
    total, tokens, r429 = _stats(sim)
    return Run("naive", wall, total, tokens, r429, 0, len(ids), durations)


def floor(durations: list[float], rate: int) -> float:
    """Earliest the class can be ready (virtual seconds) under the simulator's token bucket:
    slot k of the token request and the N creates, longest creation in the earliest slot."""
    if not rate:
        return max(durations)
    slots = [max(0.0, (k + 1 - rate) * 60.0 / rate) for k in range(len(durations) + 1)][1:]
    return max(slot + d for slot, d in zip(slots, sorted(durations, reverse=True)))


def main(argv: list[str] | None = None) -> int:
    """Run both approaches and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", "-n", type=int, default=50, help="class size (default 50)")
    parser.add_argument("--speed", type=float, default=10.0, help="simulator speed factor (default 10)")
    parser.add_argument("--rate-limit", type=int, default=125, help="requests per virtual minute (default 125)")
    parser.add_argument("--seed", type=int, default=0, help="first simulator seed (default 0)")
    parser.add_argument("--seeds", type=int, default=1,
                        help="repeat with this many seeds (seed, seed+1, ...) and print the means (default 1)")
    parser.add_argument("--naive-interval", type=float, default=10.0,
                        help="naive polling interval in virtual seconds (default 10)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="virtual seconds the simulator adds to every answer (default 0)")
    parser.add_argument("--skip-naive", action="store_true", help="only run the kit")
    args = parser.parse_args(argv)

    n = args.attendees
    attendees = [Attendee(f"Attendee {i:03d}") for i in range(n)]
    print(f"Provisioning {n} attendees; simulator speed {args.speed:g}, rate limit {args.rate_limit}/min, "
          f"latency {args.latency:g} s per answer (virtual); times in virtual seconds")
    print(f"{'':13} {'seed':>4} {'wall':>7} {'/create':>8} {'floor':>7} {'/floor':>7} {'requests':>9} "
          f"{'req/inst':>9} {'tokens':>7} {'429s':>5} {'unhandled 429':>14} {'ready':>6}")
    rows: dict[str, list[tuple[float, ...]]] = {}
    met = True
    for seed in range(args.seed, args.seed + args.seeds):
        runs: list[Run] = []
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["AURA_NB_HOME"] = tmp
            simulator = dict(seed=seed, speed=args.speed, rate_limit=args.rate_limit,
                             faults={"latency": args.latency / args.speed})
            with Simulator(**simulator) as sim:
                runs.append(run_kit(sim, attendees, args.speed, args.rate_limit, Path(tmp)))
            if not args.skip_naive:
                with Simulator(**simulator) as sim:
                    runs.append(run_naive(sim, attendees, args.speed, args.naive_interval))
        for run in runs:
            durations = list(run.durations.values())
            figures = (run.wall, run.wall / (sum(durations) / len(durations)), floor(durations, args.rate_limit),
                       run.requests, run.tokens, run.r429, run.unhandled_429, run.ready)
            figures = figures[:3] + (run.wall / figures[2],) + figures[3:]
            rows.setdefault(run.label, []).append(figures)
            print(_row(run.label, str(seed), figures, n))
        kit = rows["kit"][-1]
        met = met and kit[3] <= 1.15 and kit[4] <= 3 * n and kit[7] == 0 and kit[8] == n
    if args.seeds > 1:
        for label, figures in rows.items():
            means = tuple(sum(f[i] for f in figures) / len(figures) for i in range(len(figures[0])))
            print(_row(label, "mean", means, n))
    print("/create = wall time / mean creation time of one instance; floor = earliest possible "
          "(rate-limit slots + true creation durations)")
    print(f"targets for the kit, every seed (within 1.15x of floor, <= 3 requests per instance, no unhandled 429): "
          f"{'met' if met else 'MISSED'}")
    return 0 if met else 1


def _row(label: str, seed: str, f: tuple[float, ...], n: int) -> str:
    wall, per_create, best, ratio, total, tokens, r429, unhandled, ready = f
    return (f"{label:13} {seed:>4} {wall:7.1f} {per_create:8.2f} {best:7.1f} {ratio:7.3f} {total:9.1f} "
            f"{total / n:9.2f} {tokens:7.1f} {r429:5.1f} {unhandled:14.1f} {ready:>4.0f}/{n}")


if __name__ == "__main__":
    sys.exit(main())
