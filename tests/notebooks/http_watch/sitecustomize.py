"""Loaded by the kernels nbval starts for the committed notebooks (``PYTHONPATH``, set by the root
``conftest.py`` just before each notebook's kernel starts): every attempt the kit's client sends
(its User-Agent starts with ``aura_nb/``; urllib3's own resends included) is written, one JSON line
each, to ``$AURA_NB_TEST_HTTP_LOG`` with the execute request being run (its message id and the
cell's code: nbval runs cells without counting them) and the status it got (``null``: no answer). This log is independent of ``client.history`` and of the notebook
layer; tests/notebooks/test_displayed_exchanges.py compares it with what each cell displays."""

import json
import os

LOG = os.environ.get("AURA_NB_TEST_HTTP_LOG")


def _cell() -> list:
    """``[message id, code]`` of the execute request the kernel is running (or last ran)."""
    import sys

    ipython = sys.modules.get("IPython")
    kernel = getattr(ipython.get_ipython() if ipython else None, "kernel", None)
    parent = kernel.get_parent() if kernel is not None else {}
    return [parent.get("header", {}).get("msg_id"), parent.get("content", {}).get("code")]


def _watch() -> None:
    from urllib3.connectionpool import HTTPConnectionPool

    attempt = HTTPConnectionPool._make_request

    def watched(self, conn, method, url, *args, **kwargs):
        headers = kwargs.get("headers") or (args[1] if len(args) > 1 else None) or {}
        status = None
        try:
            response = attempt(self, conn, method, url, *args, **kwargs)
            status = response.status
            return response
        finally:
            if str(headers.get("User-Agent", "")).startswith("aura_nb/"):
                with open(LOG, "a", encoding="utf-8") as log:
                    log.write(json.dumps([*_cell(), method, url, status]) + "\n")

    HTTPConnectionPool._make_request = watched


if LOG:
    open(LOG, "a", encoding="utf-8").close()  # this notebook ran, whether it sent anything or not
    _watch()
