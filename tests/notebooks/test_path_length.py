"""The newcomer's path stays short: notebooks 00-06 hold at most 3,500 words of Markdown (issue 18:
about 45 minutes of reading with the exercises). Words are counted as runs of non-space
characters; the count per notebook and in all is printed (``pytest -s``) so a change shows its cost."""

from __future__ import annotations

import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATH = ["00", "01", "02", "03", "04", "05", "06"]
MOST_WORDS = 3500


def markdown_words(path: Path) -> int:
    """Words in a notebook's Markdown cells: ``len(re.findall(r"\\S+", source))`` per cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return sum(len(re.findall(r"\S+", "".join(cell["source"])))
               for cell in cells if cell["cell_type"] == "markdown")


def test_notebooks_00_to_06_hold_at_most_3500_words_of_markdown():
    counts = {number: markdown_words(next(NOTEBOOKS.glob(f"{number}-*.ipynb"))) for number in PATH}
    total = sum(counts.values())
    print("Markdown words, notebooks 00-06:",
          ", ".join(f"{number}: {count}" for number, count in counts.items()), f"; in all: {total}")
    assert total <= MOST_WORDS, (f"notebooks 00-06 hold {total} words of Markdown, more than "
                                 f"{MOST_WORDS}: cut prose (per notebook: {counts})")


def test_the_count_is_of_markdown_only(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# Two words\n", "and three more"]},
                          {"cell_type": "code", "source": ["not counted at all"]}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    assert markdown_words(path) == 6
