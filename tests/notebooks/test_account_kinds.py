"""Every teaching notebook runs top to bottom against a simulator of each account kind (free,
professional, enterprise), and no cell raises an error it was not written to raise.

Two journeys: in simulator mode (notebooks 00-08, the simulator's extras in use; Free, see
`MODE_KINDS`) and in real mode (``AURA_NB_MODE=real``, every kind: notebooks 00-11
and 99 treat the loopback simulator as a real account). Where a step cannot apply (a Free account: paid types need billing details, one
instance only, no resize; a simulator-only demonstration in real mode), the notebook says why in
one line and carries on. How a journey runs and what counts as a problem:
`tests.helpers.journeys`. The kinds run in parallel; the test prints how long each took.
"""

from __future__ import annotations

import pytest

from tests.helpers.journeys import run_every_kind


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["simulator", "real"])
def test_notebooks_run_on_every_account_kind(mode, make_simulator, tmp_path, capsys):
    problems, timing = run_every_kind(mode, make_simulator, tmp_path)
    with capsys.disabled():
        print("\n" + timing)
    assert not problems, "\n".join(problems)
