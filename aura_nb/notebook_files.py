"""The teaching notebooks as files: where they are, and copying them for a learner.

In a clone (or an editable install) they are the repository's ``notebooks/`` folder; in an
installed wheel they are package data, ``aura_nb/_notebooks/`` (the build copies them there:
``setup.py``). `copy_notebooks` is what ``aura-nb notebooks DIR`` does; the workshop's hub
hand-outs send the same files (`notebook_files`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PACKAGED", "notebooks_folder", "notebook_files", "copy_notebooks", "Copied"]

PACKAGED = "_notebooks"  # the folder inside the package that an installed wheel carries
_FIRST = "00-start-here.ipynb"


def notebooks_folder() -> Path:
    """The folder holding the notebooks: the repository's ``notebooks/`` next to this package
    (a clone), else the package data of an installed wheel. Raises FileNotFoundError when
    neither is there (a broken install)."""
    package = Path(__file__).resolve().parent
    for folder in (package.parent / "notebooks", package / PACKAGED):
        if (folder / _FIRST).is_file():
            return folder
    raise FileNotFoundError(f"the notebooks are neither in {package.parent / 'notebooks'} nor in "
                            f"{package / PACKAGED}; reinstall aura_nb")


def notebook_files(folder: Path | None = None) -> dict[str, bytes]:
    """Relative path (``/``-separated) -> content of every file a learner gets: the notebooks
    and their ``data/`` folder, in name order (checkpoints and caches left out)."""
    folder = folder or notebooks_folder()
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith((".", "__")) for part in relative.parts):
            continue
        if relative.suffix == ".ipynb" or relative.parts[0] == "data":
            files[relative.as_posix()] = path.read_bytes()
    return files


@dataclass
class Copied:
    """What `copy_notebooks` did: files ``copied`` (new or replaced), ``same`` (already
    identical) and ``kept`` (the learner's edited copy, left alone)."""

    folder: Path
    copied: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line saying what was copied and what was kept."""
        text = f"{len(self.copied)} copied to {self.folder}, {len(self.same)} already there unchanged"
        if self.kept:
            text += (f", {len(self.kept)} kept because you changed them ({', '.join(self.kept)}; "
                     "--force replaces them)")
        return text


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copy_notebooks(destination: str | Path, *, force: bool = False) -> Copied:
    """Copy the notebooks (and ``data/``) into ``destination``, made if missing. A file that is
    already there with other content is the learner's edited copy: it is kept unless ``force``.
    Returns a `Copied`. Raises OSError when the folder cannot be written."""
    target = Path(destination).expanduser()
    result = Copied(target)
    for relative, data in notebook_files().items():
        path = target / relative
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            existing = None
        if existing is not None and _digest(existing) == _digest(data):
            result.same.append(relative)
            continue
        if existing is not None and not force:
            result.kept.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        result.copied.append(relative)
    return result
