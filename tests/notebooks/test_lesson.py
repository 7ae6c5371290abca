"""The notebook layer (aura_nb.teaching.lesson): exchanges shown under cells, kit errors as one line, %tb.

Cells run in the process's IPython shell against an in-process simulator, selected through the
environment as a notebook kernel would be; one test runs a real kernel (nbclient, as the script
that regenerates the notebooks does) to see that a saved error is the same line as a live one.
"""

from __future__ import annotations

import re
import sys

import pytest
from IPython.core.interactiveshell import InteractiveShell

from aura_nb.teaching import lesson
from aura_nb.core.history import Exchange
from aura_nb.lab import simulator_environment

REQUEST_ID = re.compile(r"[0-9a-f]{32}/\d+")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def shell(make_simulator, clean_env, monkeypatch, tmp_path, capsys):
    """An IPython shell with ``%load_ext aura_nb`` done against a fast simulator; unloaded after."""
    sim = make_simulator(speed=1000.0, rate_limit=0)
    for name, value in simulator_environment(sim.base_url, sim.client_id, sim.client_secret,
                                             tmp_path / "home").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AURA_TENANT", "Learning Project")
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext aura_nb")
    capsys.readouterr()
    yield shell
    shell.run_cell("%unload_ext aura_nb")


def run(shell, capsys, cell: str) -> tuple[object, str]:
    """Run a cell; returns (result, everything it printed or displayed)."""
    capsys.readouterr()
    result = shell.run_cell(cell, store_history=False)
    out, err = capsys.readouterr()
    return result, ANSI.sub("", out + err)


def test_a_cell_shows_the_exchanges_it_caused_and_only_those(shell, capsys):
    _, text = run(shell, capsys, "import aura_nb\nclient = aura_nb.connect()")
    assert "HTTP exchanges" not in text  # connecting sends nothing
    _, text = run(shell, capsys, "tenants = client.list_tenants()")
    assert "POST /oauth/token -> 200" in text
    assert "GET /v1/tenants -> 200" in text
    assert '"name": "Learning Project"' in text
    assert "X-Request-Id: " in text and "Content-Type: application/json" in text
    assert '"access_token": "<redacted>"' in text
    _, text = run(shell, capsys, "tenants[0].name")
    assert "HTTP exchanges" not in text  # no request, nothing shown
    _, text = run(shell, capsys, "client.list_tenants();")
    assert text.count("/oauth/token") == 0 and text.count("GET /v1/tenants -> 200") == 1


def test_repeated_polls_fold_into_one_line_without_a_count(shell, capsys):
    run(shell, capsys, "import aura_nb\nclient = aura_nb.connect()\n"
                       "spec = aura_nb.InstanceSpec('nb-lesson', client.find_tenant().id, "
                       "'professional-db', 'gcp', 'europe-west1', '2GB')")
    _, text = run(shell, capsys, "created = client.create_instance(spec)\n"
                                 "client.wait_for_instance(created.id, poll_interval=0.01);")
    assert "POST /v1/instances -> 202" in text
    assert '"password": "<redacted>"' in text
    polls = [line for line in text.splitlines() if lesson.FOLD_NOTE in line]
    assert len(polls) == 1, text
    assert polls[0].startswith("GET /v1/instances/") and '200, status "running"' in polls[0]
    assert text.count('"status": "creating"') == 0  # only the last answer's body is shown
    assert not re.search(r"\d+ (polls|times)", text)


def test_one_status_read_and_many_show_the_same_lines():
    def poll(status: str) -> Exchange:
        return Exchange("GET", "http://h/v1/instances/ab12cd34", 200,
                        response_headers={"Content-Type": "application/json"},
                        response_body={"data": {"id": "ab12cd34", "status": status}})

    once = lesson.ExchangeView([poll("running")]).text()
    many = lesson.ExchangeView([poll("creating"), poll("creating"), poll("running")]).text()
    assert once == many and lesson.FOLD_NOTE in once


def test_poll_folding_keeps_writes_in_between_apart():
    def ex(method: str, path: str, status: int = 200) -> Exchange:
        return Exchange(method, f"http://127.0.0.1:1{path}", status)

    items = lesson.fold_polls([ex("GET", "/v1/a"), ex("GET", "/v1/b"), ex("GET", "/v1/a"),
                               ex("POST", "/v1/a/pause", 202), ex("GET", "/v1/a")])
    assert isinstance(items[0], lesson.PollRun) and len(items[0].exchanges) == 2
    assert [getattr(i, "url", None) for i in items[1:]] == [
        "http://127.0.0.1:1/v1/b", "http://127.0.0.1:1/v1/a/pause", "http://127.0.0.1:1/v1/a"]
    status = lesson.fold_polls([ex("GET", "/v1/instances/ab12cd34")])
    assert isinstance(status[0], lesson.PollRun)  # a status read folds even when alone


def test_html_form_is_folded_and_escaped():
    view = lesson.ExchangeView([Exchange("GET", "http://h/v1/x", 200,
                                         response_body={"data": "<b>"})])
    bundle = view._repr_mimebundle_()
    assert bundle["text/html"].count("<details>") == 1
    assert "&lt;b&gt;" in bundle["text/html"] and "<b>" not in bundle["text/html"]
    assert bundle["text/plain"] == view.text()


def test_a_kit_error_is_one_line_and_tb_shows_that_exception(shell, capsys):
    run(shell, capsys, "import aura_nb\nclient = aura_nb.connect()")
    run(shell, capsys, "1/0")  # an older, unrelated exception
    result, text = run(shell, capsys, "client.get_instance('00000000')")
    assert type(result.error_in_exec).__name__ == "NotFound"
    error_lines = [line for line in text.splitlines() if line.startswith("NotFound: ")]
    assert error_lines == [lesson.one_line(result.error_in_exec)]
    assert "404" in error_lines[0] and "request id" in error_lines[0]
    assert error_lines[0].endswith(lesson.TB_HINT)
    assert "Traceback" not in text and "client.py" not in text
    assert "GET /v1/instances/00000000 -> 404" in text  # the exchange shows under the error
    _, text = run(shell, capsys, "%tb")
    assert "client.py" in text and "NotFound" in text
    assert "ZeroDivisionError" not in text


def test_other_exceptions_keep_their_full_traceback(shell, capsys):
    _, text = run(shell, capsys, "def f():\n    raise ValueError('plain')\nf()")
    assert "raise ValueError('plain')" in text and "ValueError: plain" in text


def test_a_bare_import_installs_nothing(make_simulator, clean_env, capsys):
    shell = InteractiveShell.instance()
    shell.run_cell("%unload_ext aura_nb")
    shell.run_cell("import aura_nb")
    assert shell.custom_exceptions == ()
    assert "aura_nb.teaching.lesson" not in sys.modules or shell not in lesson._watchers


def test_saved_error_is_the_live_line(shell, capsys, tmp_path):
    """nbclient runs a notebook in a real kernel, as scripts/regenerate_notebooks.py does: the
    saved error output is the very line the live shell shows (request ids aside)."""
    nbformat = pytest.importorskip("nbformat")
    from tests.helpers.kernels import execute_notebook

    run(shell, capsys, "import aura_nb\nclient = aura_nb.connect()")
    live, _ = run(shell, capsys, "client.get_instance('00000000')")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext aura_nb"),
        nbformat.v4.new_code_cell("import aura_nb\nclient = aura_nb.connect()"),
        nbformat.v4.new_code_cell("client.get_instance('00000000')",
                                  metadata={"tags": ["raises-exception"]})])
    execute_notebook(nb, tmp_path, timeout=60, allow_errors=False)
    error = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert len(error) == 1
    assert [REQUEST_ID.sub("ID", line) for line in error[0].traceback] == \
        [REQUEST_ID.sub("ID", lesson.one_line(live.error_in_exec))]
    shown = [o for o in nb.cells[2].outputs if o.output_type == "display_data"]
    assert "GET /v1/instances/00000000 -> 404" in shown[0].data["text/plain"]
    assert "<details>" in shown[0].data["text/html"]


def test_show_displays_a_raw_response_with_its_secrets_masked(make_simulator):
    import requests

    sim = make_simulator(speed=1000.0, rate_limit=0)
    answer = requests.post(f"{sim.base_url}/oauth/token", auth=(sim.client_id, sim.client_secret),
                           data={"grant_type": "client_credentials"}, timeout=10)
    view = lesson.show(answer)
    text = view.text()
    assert text.splitlines()[1:7] == [
        "POST /oauth/token -> 200", "  request headers:", "    Authorization: Basic <redacted>",
        "    Content-Type: application/x-www-form-urlencoded",
        "  request body (form): grant_type=client_credentials", "  response headers:"]
    assert '"access_token": "<redacted>"' in text
    token = answer.json()["access_token"]
    created = requests.post(f"{sim.base_url}/v1/instances", timeout=10,
                            headers={"Authorization": f"Bearer {token}"},
                            json={"name": "x", "tenant_id": "t"})  # the learner's JSON POST
    json_view = lesson.show(created)
    assert json_view.text().splitlines()[1:6] == [
        "POST /v1/instances -> 400", "  request headers:", "    Authorization: Bearer <redacted>",
        "    Content-Type: application/json", "  request body (JSON):"]
    everything = text + view.html() + json_view.text() + json_view.html()
    assert "Authorization: Bearer &lt;redacted&gt;" in json_view.html()
    for secret in (token, sim.client_secret,
                   answer.request.headers["Authorization"].split()[1]):
        assert secret not in everything


def test_show_exchanges_switches_the_display_off_and_on(shell, capsys):
    run(shell, capsys, "import aura_nb\nfrom aura_nb import lesson\nclient = aura_nb.connect()")
    run(shell, capsys, "lesson.show_exchanges(False)")
    _, text = run(shell, capsys, "client.list_tenants();")
    assert "HTTP exchanges" not in text
    run(shell, capsys, "lesson.show_exchanges(True)")
    _, text = run(shell, capsys, "client.list_instances();")
    assert "GET /v1/instances -> 200" in text and "/v1/tenants" not in text


def test_the_aura_magics_exchanges_show_too(shell, capsys):
    _, text = run(shell, capsys, "%aura tenants")
    assert "GET /v1/tenants -> 200" in text


def test_retried_reads_show_each_attempt_and_only_successes_fold():
    def ex(path: str, status: int | None, body=None) -> Exchange:
        return Exchange("GET", f"http://127.0.0.1:1{path}", status, response_body=body,
                        error=None if status else "the connection was closed")

    tenants = lesson.ExchangeView([ex("/v1/tenants", 503), ex("/v1/tenants", None),
                                   ex("/v1/tenants", 200)]).text().splitlines()
    heads = [line for line in tenants if line.startswith("GET")]
    assert heads == ["GET /v1/tenants -> 503",
                     "GET /v1/tenants -> no answer (the connection was closed)",
                     "GET /v1/tenants -> 200"]
    poll = "/v1/instances/ab12cd34"
    items = lesson.fold_polls([ex(poll, 200, {"data": {"status": "creating"}}), ex(poll, 429),
                               ex(poll, 200, {"data": {"status": "running"}})])
    assert [type(i).__name__ for i in items] == ["PollRun", "Exchange"]
    assert 'status "running"' in items[0].summary() and items[1].status == 429


def test_a_cell_whose_get_was_retried_shows_every_attempt(shell, capsys):
    run(shell, capsys, "import aura_nb\nclient = aura_nb.connect()\nclient.list_tenants();")
    _, text = run(shell, capsys,
                  "from aura_nb import tutorial\nsim = tutorial.simulator_admin(client)\n"
                  "with sim.faults(script=[{'method': 'GET', 'path': '/v1/tenants', "
                  "'action': 'status', 'status': 503, 'times': 2}]):\n"
                  "    client.list_tenants()")
    heads = [line for line in text.splitlines() if line.startswith("GET ")]
    assert heads == ["GET /v1/tenants -> 503"] * 2 + ["GET /v1/tenants -> 200"], text
    assert text.count('"reason": "simulated-fault"') == 2


def test_the_learners_own_requests_show_under_the_cell_without_changing_the_code(shell, capsys):
    """#18: a plain cell's ``requests`` calls are displayed like the kit's (request headers
    masked and labelled, body as sent), each once; the kit's own traffic is not shown twice."""
    run(shell, capsys, "import aura_nb, requests\nclient = aura_nb.connect()\n"
                       "from aura_nb.teaching.tutorial import bearer_headers\n"
                       "base, headers = bearer_headers(client)")
    _, text = run(shell, capsys, 'answer = requests.get(f"{base}/v1/tenants", headers=headers, timeout=10)\n'
                                 'created = requests.post(f"{base}/v1/instances", headers=headers, '
                                 'json={"name": "x"}, timeout=10)')
    assert "Your requests and their answers (secrets masked):" in text
    assert "GET /v1/tenants -> 200\n  request headers:\n    Authorization: Bearer <redacted>" in text
    assert "POST /v1/instances -> 400" in text and '"name": "x"' in text
    assert "  response headers:" in text and "HTTP exchanges of this cell" not in text
    _, text = run(shell, capsys, "from aura_nb.lesson import show\n"
                                 'answer = requests.get(f"{base}/v1/instances", headers=headers, timeout=10)\n'
                                 "show(answer)")
    assert text.count("GET /v1/instances -> 200") == 1  # shown by show(), not again by the layer
    _, text = run(shell, capsys, "client.list_instances();")
    assert "HTTP exchanges of this cell" in text and "Your request" not in text
    assert shell.user_ns["headers"]["Authorization"].split()[1] not in text


def test_an_exercise_shows_its_exchanges_labelled_once_and_finds_the_notebooks_client(shell, capsys):
    from aura_nb.teaching.exercises import ex02

    run(shell, capsys, "import aura_nb\nclient = aura_nb.connect()\nfrom aura_nb.exercises import ex02")
    _, text = run(shell, capsys, ex02.solution_code + "\nex02.check(find_tenant_id)")
    assert "sandbox case 1 (a project listed FIRST): your code's requests" in text
    assert "Exercise 02 (find_tenant_id): your code on your account (find 'Learning Project')" in text
    assert "The check's own reads of your account" in text
    assert "Your request" not in text  # each exchange under its label, none left for the layer
    assert "Exercise 02 (find_tenant_id): correct! 'Learning Project' is " in text


def test_a_learners_loop_of_identical_requests_folds_into_one_with_its_count():
    def token(status: int) -> Exchange:
        return Exchange("POST", "http://h/oauth/token", status,
                        {"Content-Type": "application/x-www-form-urlencoded"},
                        {"grant_type": "client_credentials"})

    view = lesson.ExchangeView([token(200)] * 15 + [token(429)], repeats=True)
    heads = [line for line in view.text().splitlines() if line.startswith("POST")]
    assert heads == ["POST /oauth/token -> 200  (15 times in a row)", "POST /oauth/token -> 429"]
    assert len(lesson.ExchangeView([token(200)] * 3).items) == 3  # the kit's views keep each


def test_a_quiet_setup_cell_folds_its_exchanges_into_one_line(shell, capsys):
    _, text = run(shell, capsys, "import aura_nb\nfrom aura_nb import lesson\nclient = aura_nb.connect()\n"
                                 "tenant = client.find_tenant()\nclient.list_tenants()\n"
                                 "lesson.quiet_setup('Notebooks 01-02 show each in full.')")
    assert "HTTP exchanges" not in text
    setup = [line for line in text.splitlines() if line.startswith(lesson.SETUP_PREFIX)]
    assert setup == [f"{lesson.SETUP_PREFIX} POST /oauth/token 200, GET /v1/tenants 200, "
                     "GET /v1/tenants/{id} 200. Notebooks 01-02 show each in full."], text
    _, text = run(shell, capsys, "client.list_instances();")  # only that one cell was quiet
    assert "HTTP exchanges of this cell" in text and lesson.SETUP_PREFIX not in text


def test_a_quiet_setup_cell_still_shows_a_refused_answer_in_full(shell, capsys):
    run(shell, capsys, "import aura_nb\nfrom aura_nb import lesson\nclient = aura_nb.connect()")
    _, text = run(shell, capsys, "try:\n    client.get_instance('00000000')\nexcept aura_nb.NotFound:\n"
                                 "    pass\nlesson.quiet_setup()")
    assert "GET /v1/instances/00000000 -> 404" in text and lesson.SETUP_PREFIX not in text
