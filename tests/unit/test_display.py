"""Display helpers: the one mask for secrets and the one duration text."""

from __future__ import annotations

import pytest

from aura_nb.core.display import MASKED, duration_text, mask


def test_mask_hides_every_secret_behind_one_fixed_width_mask():
    assert mask("s3cret") == mask("a much longer secret value") == MASKED
    assert "s" not in MASKED
    assert mask("") == "" and mask(None) == ""


@pytest.mark.parametrize("seconds, text", [
    (0, "0 s"), (45.9, "45 s"), (60, "1 min 00 s"), (185, "3 min 05 s"), (3599, "59 min 59 s"),
    (3600, "1 h 00 min"), (7440, "2 h 04 min"), (2 * 86400 - 1, "47 h 59 min"),
    (3 * 86400 + 5, "3 days"), (-5, "0 s"),
])
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text
