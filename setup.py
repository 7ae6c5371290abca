"""The wheel carries the teaching notebooks as package data without moving them.

``notebooks/`` stays at the top of the repository (the lab, nbval and the regeneration script
use it there); building the package copies its notebooks and ``data/`` into
``aura_nb/_notebooks/`` of the build, where `aura_nb.notebook_files` finds them in an installed
wheel. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_notebooks(build_py):
    """``build_py`` plus the notebooks (skipped for an editable install: it reads ``notebooks/``)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        source = Path(__file__).resolve().parent / "notebooks"
        target = Path(self.build_lib) / "aura_nb" / "_notebooks"
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if not path.is_file() or any(p.startswith((".", "__")) for p in relative.parts):
                continue
            if relative.suffix == ".ipynb" or relative.parts[0] == "data":
                self.mkpath(str((target / relative).parent))
                self.copy_file(str(path), str(target / relative))


setup(cmdclass={"build_py": build_py_with_notebooks})
