"""``aura-nb``: one command for the kit's parts (the console script of an installed kit).

- ``aura-nb lab [jupyter lab options]``: JupyterLab on the notebooks (``python -m aura_nb.lab``);
- ``aura-nb simulator [options]``: the local Aura API (``python -m aura_nb.simulator``);
- ``aura-nb workshop <command> ...``: the instructor's tools (``python -m aura_nb.workshop``);
- ``aura-nb notebooks DIR [--force]``: copy the notebooks into ``DIR``; a copy you changed is
  kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

USAGE = "aura-nb {lab,simulator,workshop,notebooks} ..."
PARTS = {
    "lab": "JupyterLab on the notebooks (simulator unless real credentials are configured)",
    "simulator": "the local Aura API simulator",
    "workshop": "a class on Aura: provision, status, pause, resume, verify, teardown (also --hub)",
    "notebooks": "copy the notebooks into a folder (DIR [--force])",
}


def _notebooks(argv: Sequence[str]) -> int:
    from .notebook_files import copy_notebooks

    parser = argparse.ArgumentParser(prog="aura-nb notebooks",
                                     description="Copy the teaching notebooks into DIR.")
    parser.add_argument("dir", help="folder to copy them into (made if missing)")
    parser.add_argument("--force", action="store_true",
                        help="also replace notebooks you changed (default: keep them)")
    args = parser.parse_args(argv)
    try:
        result = copy_notebooks(args.dir, force=args.force)
    except OSError as exc:
        print(f"error: cannot copy the notebooks into {args.dir}: {exc.strerror or exc}; "
              "choose a folder you can write", file=sys.stderr)
        return 2
    print(result.line())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one part with the rest of the command line; returns its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in PARTS:
        stream = sys.stdout if args and args[0] in ("-h", "--help") else sys.stderr
        print(f"usage: {USAGE}", file=stream)
        for name, text in PARTS.items():
            print(f"  {name:<10} {text}", file=stream)
        if args and args[0] not in ("-h", "--help"):
            print(f"aura-nb: unknown command {args[0]!r}; use one of the above", file=stream)
        return 0 if stream is sys.stdout else 2
    part, rest = args[0], args[1:]
    if part == "lab":
        from .lab import main as lab
        return lab(rest)
    if part == "simulator":
        from .simulator.__main__ import main as simulator
        return simulator(rest)
    if part == "workshop":
        from .workshop.__main__ import main as workshop
        return workshop(rest, prog="aura-nb workshop")
    return _notebooks(rest)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
