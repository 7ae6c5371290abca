"""Waiting side by side with aura-python-sdk: status requests and delay for one lifecycle.

Prints figures, asserts nothing. Each trial starts one in-process simulator with lifecycle
durations the kit has never seen (``--durations``; not the simulator's defaults), then runs the
same lifecycle through the kit and through aura-python-sdk (``pip install -e .[bench]``) at the
same time, each on its own instance, both meeting the same durations (drawn per trial from the
ranges): create -> running, pause -> paused, resume -> running.
The SDK waits with its own default (``wait_for_status``, a poll every 10 s) scaled by the
simulator's speed; the kit with its defaults. For each change it counts status requests
(``GET /v1/instances/{id}``) and the delay: server seconds from the moment the simulator made
the change to the moment the wait returned.

Scenarios (each trial has a fresh, private ``AURA_NB_HOME``):

* ``empty``: first-ever run, no learned durations;
* ``once``: the kit has seen one lifecycle with these durations (a warm-up, not counted);
* ``slow3x``: warm-up at these durations, then every operation takes 3 times longer.

Targets (issue 12): with history at most 0.8x the SDK's requests and 0.8x its delay; first-ever
run at most 1.1x the requests and no more delay; 3x slower at most 1.3x the requests and no more
delay.

Usage: python benchmarks/peers.py [--seeds 3] [--rounds 2] [--speed 40]
       [--durations creating=100:160,pausing=15:35,resuming=35:75] [--scenarios empty,once,slow3x]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aura_nb.core.client import AuraClient  # noqa: E402
from aura_nb.core.models import InstanceSpec, allowed_choices  # noqa: E402
from aura_nb.simulator import Simulator  # noqa: E402

try:
    import aura_python_sdk as sdk
except ImportError:  # an optional benchmark dependency
    sdk = None

#: The SDK's default wait interval (aura_python_sdk: DEFAULT_WAIT_INTERVAL), server seconds.
SDK_INTERVAL = 10.0
STEPS = (("create", "running"), ("pause", "paused"), ("resume", "running"))
SCENARIOS = ("empty", "once", "slow3x")


class Lifecycle:
    """One client's run: per step, status requests and delay (server seconds)."""

    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.delay: dict[str, float] = {}


def _retry_busy(call: Callable[[], Any], busy: tuple[type[BaseException], ...],
                pause: float) -> Any:
    """Send a lifecycle call again while the API answers 409 (it may, just after running)."""
    for _ in range(50):
        try:
            return call()
        except busy:
            time.sleep(pause)
    return call()


def _spec(client: AuraClient, name: str) -> InstanceSpec:
    tenant = client.find_tenant("Learning Project")
    kind = "professional-db"
    cloud = allowed_choices(tenant, kind)["cloud_provider"][0]
    region = allowed_choices(tenant, kind, cloud)["region"][0]
    memory = allowed_choices(tenant, kind, cloud, region)["memory"][0]
    return InstanceSpec(name, tenant.id, kind, cloud, region, memory)


def run_kit(sim: Simulator, name: str) -> Lifecycle:
    """The lifecycle through aura_nb, with its default waiting."""
    from aura_nb.core.errors import BadRequest, Conflict

    result = Lifecycle()
    with tempfile.TemporaryDirectory() as vault:
        client = AuraClient(sim.client_id, sim.client_secret, sim.base_url, speed=sim.clock.speed,
                            vault_dir=vault)
        spec = _spec(client, name)
        instance_id = ""
        for step, target in STEPS:
            if step == "create":
                instance_id = client.create_instance(spec).id
            else:
                call = client.pause_instance if step == "pause" else client.resume_instance
                _retry_busy(lambda: call(instance_id), (Conflict, BadRequest),
                            1 / sim.clock.speed)
            changed_at = sim.world.transition_end(instance_id)
            events: list[Any] = []
            client.wait_for_instance(instance_id, target, on_progress=events.append)
            result.delay[step] = sim.clock.now() - changed_at
            result.requests[step] = events[-1].polls
        client.close()
    return result


def run_sdk(sim: Simulator, name: str) -> Lifecycle:
    """The lifecycle through aura-python-sdk, its wait interval scaled by the speed."""
    result = Lifecycle()
    interval = SDK_INTERVAL / sim.clock.speed
    with sdk.AuraClient(client_id=sim.client_id, client_secret=sim.client_secret,
                        base_url=sim.base_url, allow_insecure_base_url=True) as client:
        service = client.instances
        counted = {"n": 0}
        plain_get = service.get

        def counting_get(instance_id: str) -> Any:
            counted["n"] += 1
            return plain_get(instance_id)

        service.get = counting_get  # wait_for_status reads it through the instance
        tenant = next(t for t in client.tenants.list() if t.name == "Learning Project")
        details = client.tenants.get(tenant.id)
        config = next(c for c in details.instance_configurations if c.type == "professional-db")
        created = service.create(sdk.InstanceConfig(
            name=name, tenant_id=tenant.id, cloud_provider=config.cloud_provider,
            region=config.region, type=config.type, version=config.version,
            memory=config.memory))
        for step, target in STEPS:
            if step == "pause":
                _retry_busy(lambda: service.pause(created.id), (sdk.ConflictError,
                                                                 sdk.BadRequestError),
                            1 / sim.clock.speed)
            elif step == "resume":
                _retry_busy(lambda: service.resume(created.id), (sdk.ConflictError,
                                                                  sdk.BadRequestError),
                            1 / sim.clock.speed)
            changed_at = sim.world.transition_end(created.id)
            counted["n"] = 0
            service.wait_for_status(created.id, status=target, interval=interval,
                                    timeout=3600 / sim.clock.speed)
            result.delay[step] = sim.clock.now() - changed_at
            result.requests[step] = counted["n"]
    return result


def _draw(ranges: dict[str, tuple[float, float]], rng: random.Random,
          scale: float = 1.0) -> dict[str, tuple[float, float]]:
    """One duration per transitional status, the same for every instance of a simulator."""
    drawn = {}
    for name, (lo, hi) in ranges.items():
        value = scale * rng.uniform(lo, hi)
        drawn[name] = (value, value)
    return drawn


def trial(scenario: str, seed: int, speed: float,
          ranges: dict[str, tuple[float, float]]) -> tuple[Lifecycle, Lifecycle]:
    """One scenario on one simulator: (kit, sdk) figures. The kit and the SDK meet the same
    durations (drawn from ``ranges``), so their figures compare pair by pair; a warm-up meets
    durations drawn separately."""
    rng = random.Random(seed)
    warm_durations = _draw(ranges, rng)
    measured = _draw(ranges, rng, 3.0 if scenario == "slow3x" else 1.0)
    port = 0
    with tempfile.TemporaryDirectory() as home:
        os.environ["AURA_NB_HOME"] = home
        if scenario != "empty":
            with Simulator(seed=seed, speed=speed, durations=warm_durations) as warm:
                run_kit(warm, f"warm-{seed}")
                port = warm.port  # learned durations are kept per API base URL: reuse it
        with Simulator(seed=seed, speed=speed, durations=measured, port=port) as sim:
            figures: dict[str, Lifecycle] = {}
            threads = [threading.Thread(target=lambda: figures.__setitem__("kit", run_kit(
                           sim, f"kit-{seed}"))),
                       threading.Thread(target=lambda: figures.__setitem__("sdk", run_sdk(
                           sim, f"sdk-{seed}")))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    return figures["kit"], figures["sdk"]


def _parse_durations(text: str) -> dict[str, tuple[float, float]]:
    result = {}
    for part in text.split(","):
        name, _, span = part.partition("=")
        lo, _, hi = span.partition(":")
        result[name.strip()] = (float(lo), float(hi))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="trials per seed and scenario")
    parser.add_argument("--speed", type=float, default=40.0)
    parser.add_argument("--durations", default="creating=100:160,pausing=15:35,resuming=35:75",
                        help="server seconds per transitional status, name=lo:hi,...")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    if sdk is None:
        print("aura-python-sdk is not installed: pip install -e .[bench]", file=sys.stderr)
        return 2
    durations = _parse_durations(args.durations)
    saved_home = os.environ.get("AURA_NB_HOME")
    started = time.monotonic()
    print(f"speed {args.speed:g}, durations {args.durations} (server s); per lifecycle: "
          "status requests and delay summed over create, pause, resume")
    print("scenario | trial | kit requests | sdk requests | kit delay | sdk delay")
    try:
        for scenario in args.scenarios.split(","):
            totals = {"kit_r": 0, "sdk_r": 0, "kit_d": 0.0, "sdk_d": 0.0}
            steps: dict[str, list[float]] = {}
            trials = 0
            for seed in range(args.seeds):
                for round_ in range(args.rounds):
                    kit, peer = trial(scenario, seed * 100 + round_, args.speed, durations)
                    trials += 1
                    kr, sr = sum(kit.requests.values()), sum(peer.requests.values())
                    kd, sd = sum(kit.delay.values()), sum(peer.delay.values())
                    totals["kit_r"] += kr
                    totals["sdk_r"] += sr
                    totals["kit_d"] += kd
                    totals["sdk_d"] += sd
                    for step, _ in STEPS:
                        row = steps.setdefault(step, [0, 0, 0.0, 0.0])
                        row[0] += kit.requests[step]
                        row[1] += peer.requests[step]
                        row[2] += kit.delay[step]
                        row[3] += peer.delay[step]
                    print(f"{scenario} | {seed}.{round_} | {kr} | {sr} | {kd:.1f} | {sd:.1f}",
                          flush=True)
            for step, (kr, sr, kd, sd) in steps.items():
                print(f"  {scenario} {step:6}: requests {kr / trials:.1f} vs {sr / trials:.1f}, "
                      f"delay {kd / trials:.1f} vs {sd / trials:.1f} s")
            print(f"{scenario} mean per lifecycle: requests kit {totals['kit_r'] / trials:.1f} "
                  f"vs sdk {totals['sdk_r'] / trials:.1f} "
                  f"({totals['kit_r'] / totals['sdk_r']:.2f}x), delay kit "
                  f"{totals['kit_d'] / trials:.1f} s vs sdk {totals['sdk_d'] / trials:.1f} s "
                  f"({totals['kit_d'] / max(totals['sdk_d'], 1e-9):.2f}x)", flush=True)
    finally:
        if saved_home is None:
            os.environ.pop("AURA_NB_HOME", None)
        else:
            os.environ["AURA_NB_HOME"] = saved_home
    print(f"({time.monotonic() - started:.0f} s real)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
