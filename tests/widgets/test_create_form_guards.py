"""CreateInstanceForm guards: one intent, one instance; no password lost (issue 10, defects 1, 3)."""

from __future__ import annotations

import threading
import time

from aura_nb.widgets import CreateInstanceForm

from tests.helpers.clock import wait_until
from tests.helpers.specs import learning_spec

POSTS = "POST /v1/instances"


def named(sim, name):
    """Ids of the simulator's instances called ``name`` that are not being destroyed."""
    return [i.id for i in sim.world.instances.values()
            if i.name == name and i.status != "destroying"]


def posts(sim):
    return sim.stats_snapshot()["requests"].get(POSTS, 0)


def test_two_clicks_make_one_instance_and_the_second_says_the_name_is_taken(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project", name="double-click")

    form.create_button.click()
    form.create_button.click()

    assert len(named(sim, "double-click")) == 1
    assert posts(sim) == 1
    assert form.state == "duplicate" and "already the name of" in form.status_text
    # the refusal replaces the success line: it still says where the password went
    assert f"this form created {form.value.id} just now" in form.status_text
    assert str(form.value.vault_path) in form.status_text
    assert form.allow_duplicate.layout.display is None and not form.allow_duplicate.value


def test_a_click_queued_while_the_create_is_in_flight_does_nothing(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project", name="queued-click")
    answers = []

    def click_again_while_busy(change):  # the kernel delivers a queued click mid-create
        if change["new"] is True and not answers:
            answers.append(form.submit())
            form.create_button.click()

    form.create_button.observe(click_again_while_busy, names="disabled")
    form.create_button.click()

    assert answers == [None]
    assert len(named(sim, "queued-click")) == 1 and posts(sim) == 1
    assert form.state == "created"


def test_submit_from_two_threads_makes_one_instance(wclient, sim):
    form = CreateInstanceForm(wclient, "Learning Project", name="two-threads")
    sim.set_faults(latency=0.3)  # both calls overlap the slow create
    start = threading.Barrier(2)
    results = []

    def run():
        start.wait()
        results.append(form.submit())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    sim.set_faults(latency=0.0)

    assert len(named(sim, "two-threads")) == 1 and posts(sim) == 1
    assert sorted(r is None for r in results) == [False, True]


def test_a_live_namesake_is_not_sent_unless_the_box_is_ticked(wclient, sim):
    wclient.create_instance(learning_spec(wclient, "taken-name"))
    form = CreateInstanceForm(wclient, "Learning Project", name="taken-name")
    before = posts(sim)

    assert form.submit() is None
    assert posts(sim) == before and len(named(sim, "taken-name")) == 1

    form.allow_duplicate.value = True
    created = form.submit()
    assert created is not None and len(named(sim, "taken-name")) == 2
    assert not form.allow_duplicate.value  # the tick counts for one create only
    assert form.submit() is None and len(named(sim, "taken-name")) == 2

    form.name_field.value = "other-name"
    assert form.allow_duplicate.layout.display == "none"


def test_an_unwritable_vault_refuses_the_create(sim, make_client, clean_env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    client = make_client(sim, vault_dir=blocker / "vault")
    form = CreateInstanceForm(client, "Learning Project", name="no-vault")

    form.create_button.click()

    assert form.state == "error" and "nothing was sent" in form.status_text
    assert "\n" not in form.status_text
    assert posts(sim) == 0 and named(sim, "no-vault") == []


def test_password_shown_once_when_neither_vault_nor_rescue_can_be_written(
        sim, make_client, clean_env, monkeypatch, widget_states, capfd, vault_writes_fail):
    client = make_client(sim)
    form = CreateInstanceForm(client, "Learning Project", name="unsaved", reveal_seconds=0.3)
    vault_writes_fail(rescue=False)
    created = form.submit()
    monkeypatch.undo()

    assert created is not None and form.value is created
    password = created.password
    assert password in form.password_line.value  # shown once, in a widget ...
    assert password not in form._repr_mimebundle_()["text/html"]  # never in a saved output
    assert password not in form.status_text and "shown once" in form.status_text
    assert form.reveal_button.layout.display == "none"
    wait_until(lambda: password not in form.password_line.value, 5)
    assert password not in widget_states(form)  # ... and gone after reveal_seconds
    out, err = capfd.readouterr()
    assert password not in out + err


def test_rescue_file_is_named_when_the_vault_write_fails(sim, make_client, clean_env,
                                                         monkeypatch, vault_writes_fail):
    client = make_client(sim)
    form = CreateInstanceForm(client, "Learning Project", name="rescued")

    vault_writes_fail()
    created = form.submit()
    monkeypatch.undo()

    assert created is not None and created.password not in form.password_line.value
    assert "rescue file" in form.status_text and "rescued" in form.status_text


def test_calls_from_a_form_keep_the_interactive_budget(sim, make_client, clean_env,
                                                        monkeypatch):
    client = make_client(sim, timeout=30)  # the notebook's own client: 30 s per call
    monkeypatch.setenv("AURA_TIMEOUT", "0.5")  # interactive budget = min(10 s, AURA_TIMEOUT)
    sim.set_faults(latency=3.0)
    started = time.monotonic()
    form = CreateInstanceForm(client, "Learning Project", name="budget")
    took = time.monotonic() - started
    sim.set_faults(latency=0.0)
    assert took < 2.5 and form.tenant is None
    assert form.state == "error" and "0.5 s" in form.status_text


def test_a_second_click_after_may_have_succeeded_sends_nothing_while_the_create_is_unsettled(
        wclient, sim, monkeypatch):
    """Issue 20, case 2: the service carries the create out after the form's budget."""
    from tests.helpers.simulator import slow_create

    monkeypatch.setenv("AURA_TIMEOUT", "0.6")
    monkeypatch.setenv("AURA_CREATE_GRACE", "600")
    form = CreateInstanceForm(wclient, "Learning Project", name="late-answer")
    wclient.list_instances()  # token and server clock in hand: the POST leaves at once
    slow_create(sim, 1.4, monkeypatch)

    form.create_button.click()
    assert form.state == "error" and "may have succeeded" in form.status_text
    form.create_button.click()  # at once: the instance is not listed yet
    assert form.state == "error" and "nothing was sent" in form.status_text
    assert "AURA_CREATE_GRACE" in form.status_text and posts(sim) == 1
    assert wait_until(lambda: named(sim, "late-answer"), 5)
    form.create_button.click()
    assert form.state == "duplicate" and posts(sim) == 1 and len(named(sim, "late-answer")) == 1
    assert not form.create_button.disabled


def test_an_interrupt_during_the_create_leaves_the_form_saying_how_the_create_ended(
        wclient, sim, monkeypatch):
    """Issue 20, case 3: the core finishes the create, then raises KeyboardInterrupt."""
    import pytest

    def interrupted_create(spec, *, show_once=None, notify=None):
        notify("Interrupted: finishing the create of 'stopped' first")
        notify("The create of 'stopped' finished: instance 0123abcd, credentials in /v/x.env.")
        raise KeyboardInterrupt

    monkeypatch.setattr(wclient, "create_instance", interrupted_create)
    form = CreateInstanceForm(wclient, "Learning Project", name="stopped")
    with pytest.raises(KeyboardInterrupt):
        form.create_button.click()
    assert form.state == "interrupted" and "finished: instance 0123abcd" in form.status_text
    assert "Creating" not in form.status_text and not form.create_button.disabled
