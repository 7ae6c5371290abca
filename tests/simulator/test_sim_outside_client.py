"""An outside client, written the way a blog post would, with only the host swapped.

Nothing here knows about the simulator except the base URL: plain functions around
``requests``, polling with sleeps. The simulator runs at speed ``FAST`` (``tests.helpers``) so
the sleeps are short.
"""

import time

import requests

from aura_nb.simulator import Simulator

from tests.helpers import FAST

HOST = "https://api.neo4j.io"           # the post's value; swapped below


def get_token(client_id, client_secret):
    response = requests.post(f"{HOST}/oauth/token", auth=(client_id, client_secret),
                             data={"grant_type": "client_credentials"})
    response.raise_for_status()
    return response.json()["access_token"]


def headers(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def get_tenant_id(token, name):
    response = requests.get(f"{HOST}/v1/tenants", headers=headers(token))
    response.raise_for_status()
    for tenant in response.json()["data"]:
        if tenant["name"] == name:
            return tenant["id"]
    raise ValueError(f"no tenant called {name}")


def create_instance(token, tenant_id, name):
    body = {"version": "5", "region": "europe-west1", "memory": "2GB", "name": name,
            "type": "professional-db", "tenant_id": tenant_id, "cloud_provider": "gcp",
            "storage": "4GB"}
    response = requests.post(f"{HOST}/v1/instances", headers=headers(token), json=body)
    response.raise_for_status()
    return response.json()["data"]


def get_status(token, instance_id):
    response = requests.get(f"{HOST}/v1/instances/{instance_id}", headers=headers(token))
    response.raise_for_status()
    return response.json()["data"]["status"]


def wait_for(token, instance_id, wanted, poll_seconds=0.02, max_polls=500):
    for _ in range(max_polls):
        status = get_status(token, instance_id)
        if status == wanted:
            return status
        time.sleep(poll_seconds)
    raise TimeoutError(f"{instance_id} never became {wanted}")


def post_action(token, instance_id, action):
    response = requests.post(f"{HOST}/v1/instances/{instance_id}/{action}",
                             headers=headers(token), json={})
    response.raise_for_status()
    return response.json()["data"]


def delete_instance(token, instance_id):
    response = requests.delete(f"{HOST}/v1/instances/{instance_id}", headers=headers(token))
    response.raise_for_status()


def test_blog_post_flow_against_the_simulator(monkeypatch):
    with Simulator(speed=FAST) as sim:
        monkeypatch.setitem(globals(), "HOST", sim.base_url)      # the only change
        token = get_token("simulator-client", "simulator-secret")
        tenant_id = get_tenant_id(token, "Learning Project")
        created = create_instance(token, tenant_id, "blog-post-db")
        assert created["password"]
        assert wait_for(token, created["id"], "running") == "running"
        assert post_action(token, created["id"], "pause")["status"] == "pausing"
        wait_for(token, created["id"], "paused")
        assert post_action(token, created["id"], "resume")["status"] == "resuming"
        wait_for(token, created["id"], "running")
        delete_instance(token, created["id"])
        for _ in range(500):
            gone = requests.get(f"{HOST}/v1/instances/{created['id']}", headers=headers(token))
            if gone.status_code == 404:
                break
            time.sleep(0.02)
        assert gone.status_code == 404
