"""How many requests per second the local Aura API simulator serves on loopback.

Starts a Simulator in-process (rate limit off), creates one instance, then 4 threads each with
a keep-alive ``requests.Session`` alternate ``GET /v1/instances/{id}`` and ``GET /v1/tenants``
for about 5 seconds. Prints requests/s and p50/p99 latency.

    .venv/bin/python benchmarks/simulator.py [--seconds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import requests

from aura_nb.simulator import Simulator


def worker(base: str, token: str, paths: list[str], deadline: float, latencies: list[float],
           errors: list[int]) -> None:
    """Send requests in a loop until ``deadline``, recording each latency in seconds."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    i = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = session.get(base + paths[i % len(paths)])
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(response.status_code)
        i += 1
    session.close()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with Simulator(rate_limit=0) as sim:
        token = requests.post(f"{sim.base_url}/oauth/token",
                              auth=(sim.client_id, sim.client_secret),
                              data={"grant_type": "client_credentials"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        tenant = requests.get(f"{sim.base_url}/v1/tenants", headers=auth).json()["data"][0]["id"]
        created = requests.post(f"{sim.base_url}/v1/instances", headers=auth, json={
            "name": "bench", "tenant_id": tenant, "type": "professional-db",
            "cloud_provider": "gcp", "region": "europe-west1", "memory": "2GB", "version": "5"})
        paths = [f"/v1/instances/{created.json()['data']['id']}", "/v1/tenants"]
        per_thread: list[list[float]] = [[] for _ in range(args.threads)]
        errors: list[int] = []
        deadline = time.perf_counter() + args.seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(sim.base_url, token, paths, deadline,
                                                          per_thread[i], errors))
                   for i in range(args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    latencies = sorted(x for chunk in per_thread for x in chunk)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"simulator: {len(latencies) / elapsed:.0f} requests/s over {elapsed:.1f} s "
          f"({len(latencies)} requests, {args.threads} keep-alive clients), "
          f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, non-200 answers: {len(errors)}")


if __name__ == "__main__":
    main()
