"""No secret value ever shows: not in exception texts, reprs, HTML, logs, history or curl.

The test drives the client through the paths that handle secrets (token fetches and renewals,
creates with passwords, a lost create, refused credentials, error answers), then collects the
actual secret values from the simulator (GET /_simulator/secrets) and searches every text the
kit produced for each of them.
"""

from __future__ import annotations

import logging

from aura_nb.core.errors import AuraError

from tests.helpers.specs import instance_spec


def test_no_secret_appears_in_any_output(make_simulator, make_client, simulator_secrets, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    sim = make_simulator(durations={"creating": (5, 5)})
    client = make_client(sim, history_size=200)
    texts: list[str] = []
    raised: list[BaseException] = []

    def show(obj):
        texts.append(repr(obj))
        texts.append(str(obj))
        html = getattr(obj, "_repr_html_", None)
        if html:
            texts.append(html())

    def attempt(call, *args, **kwargs):
        try:
            result = call(*args, **kwargs)
        except AuraError as exc:
            raised.append(exc)
            return None
        show(result)
        return result

    tenant = client.find_tenant("Learning Project")
    spec = instance_spec(tenant, "secret-test")
    created = [attempt(client.create_instance, spec) for _ in range(2)]
    sim.advance(10)
    attempt(client.wait_for_instances, created)
    sim.advance(4000)  # every token expires: renewals after 403
    attempt(client.list_instances)
    attempt(client.pause_instance, created[0].id)
    attempt(client.pause_instance, created[0].id)  # 409
    sim.set_faults(script=[{"method": "POST", "path": "/v1/instances",
                            "action": "lose_response"}])
    attempt(client.create_instance, spec)
    attempt(client.get_instance, "ffffffff")
    wrong = make_client(sim, client_secret=sim.client_secret + "-wrong")
    attempt(wrong.list_tenants)
    other = make_client(sim, client_id="other-client", client_secret="other-secret")
    attempt(other.get_tenant, tenant.id)

    for obj in (client, wrong, other, client.history, client.vault, client.credentials,
                client.transport, client.transport.tokens, client.vault.entries(), *client.vault.entries()):
        show(obj)
    for exchange in client.history:
        show(exchange)
        texts.append(exchange.as_curl())
    for exc in raised:
        texts.append(str(exc))
        texts.append(repr(exc))
        texts.append(repr(exc.args))
    texts.append(client.describe())
    texts.extend(record.getMessage() for record in caplog.records)
    texts.append(caplog.text)

    secrets = simulator_secrets(sim) | {sim.client_secret, sim.client_secret + "-wrong"}
    assert len(secrets) >= 6  # client secrets, several tokens, two passwords at least
    assert len(raised) >= 4 and len(client.history) > 10
    everything = "\n".join(texts)
    leaked = sorted(s for s in secrets if s in everything)
    assert leaked == [], f"{len(leaked)} secret values leaked"
    # the vault itself does hold the passwords (that is its job)
    assert client.vault.load(created[0].id).password in secrets
