"""InstanceStatus: synchronous and background waits, cancel, timeout, failure."""

from __future__ import annotations

from aura_nb.widgets import InstanceStatus

from tests.helpers.clock import wait_until
from tests.helpers.specs import learning_spec


def test_run_waits_in_the_cell_and_ends_in_success(wclient, sim):
    created = wclient.create_instance(learning_spec(wclient, "status-sync"))
    status = InstanceStatus(wclient, created.id)
    done = []
    status.on_submit(done.append)
    assert repr(status) == f"InstanceStatus(instance='{created.id}', target='running', state='idle')"
    sim.advance(200)  # past the longest creation time

    assert status.run() is status

    assert status.state == "done" and status.value.status == "running" and done == [status.value]
    assert "is running" in status.status_text and "'status-sync'" in status.status_text
    assert status.progress.bar_style == "success" and status.progress.value == status.progress.max
    assert status.cancel_button.disabled
    assert repr(status) == f"InstanceStatus(instance='{created.id}', target='running', state='done')"


def test_title_says_what_was_reached_once_running(wclient, sim):
    created = wclient.create_instance(learning_spec(wclient, "status-title"))
    status = InstanceStatus(wclient, created.id)
    assert "running" in status.title
    sim.advance(200)
    status.run()
    assert status.title == f"Instance {created.id} is running"
    assert "waiting" not in status.static_html()


def test_start_waits_in_the_background_and_updates_the_widgets(wclient, sim):
    created = wclient.create_instance(learning_spec(wclient, "status-bg"))
    status = InstanceStatus(wclient, created.id)
    seen = []
    status.current_status.observe(lambda change: seen.append(change["new"]), names="value")

    status.start()
    assert status.state == "waiting" and not status.cancel_button.disabled
    assert wait_until(lambda: any("creating" in text for text in seen))
    sim.advance(200)

    assert status.join(10)
    assert status.state == "done" and status.value.id == created.id
    assert any("running" in text for text in seen)
    assert status.elapsed_label.value.endswith("s")


def test_cancel_button_stops_the_wait(wclient):
    created = wclient.create_instance(learning_spec(wclient, "status-cancel"))
    status = InstanceStatus(wclient, created.id).start()
    assert wait_until(lambda: status.last_status == "creating")

    status.cancel_button.click()

    assert status.join(5)
    assert status.state == "cancelled" and status.value is None
    assert "Stopped waiting" in status.status_text and "creating" in status.status_text
    assert status.progress.bar_style == "warning" and status.cancel_button.disabled


def test_timeout_is_a_clear_message(wclient):
    created = wclient.create_instance(learning_spec(wclient, "status-slow"))
    status = InstanceStatus(wclient, created.id, timeout=0.2).run()
    assert status.state == "timeout" and status.value is None
    assert "gave up waiting" in status.status_text and "'creating'" in status.status_text
    assert 0 < status.progress.value < status.progress.max  # slower than usual: the bar stretched


def test_an_instance_being_deleted_fails_fast(wclient, sim):
    created = wclient.create_instance(learning_spec(wclient, "status-doomed"))
    sim.advance(200)
    wclient.delete_instance(created.id)
    status = InstanceStatus(wclient, created.id).run()
    assert status.state == "failed" and status.progress.bar_style == "danger"
    assert "destroying" in status.status_text and "\n" not in status.status_text


def test_waiting_for_deleted_ends_when_it_is_gone(wclient, sim):
    created = wclient.create_instance(learning_spec(wclient, "status-gone"))
    sim.advance(200)
    wclient.delete_instance(created.id)
    sim.advance(60)
    status = InstanceStatus(wclient, created.id, status="deleted").run()
    assert status.state == "done" and "is gone" in status.status_text


def test_an_interrupted_run_never_leaves_the_view_waiting(wclient, monkeypatch):
    """Issue 20: ``run()`` in the kernel's thread, interrupted, ends as cancelled."""
    import pytest

    from aura_nb.widgets import InstanceStatus

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(wclient, "wait_for_instance", interrupted)
    view = InstanceStatus(wclient, "0123abcd")
    with pytest.raises(KeyboardInterrupt):
        view.run()
    assert view.state == "cancelled" and view.cancel_button.disabled
