"""Self-checking exercises (``from aura_nb.teaching.exercises import ex02, ____``).

Each ``exNN`` has ``check(...)``, ``hint()`` and ``solution()``; an exercise cell ships with the
blank ``____``, and ``check`` on it never raises, so Run All passes. The path's exercises
(01-05 and 99, `path`) run the learner's ``requests`` functions in a private sandbox, then on the
learner's own ``nb-tutorial``, and carry the step out with the kit while the blank is in place;
06-08 (`lessons`) and 12 (`projects`) check a function in a sandbox or on given data.
"""

from ._base import ____, Blank, Exercise, Incorrect
from .lessons import ex06, ex07, ex08
from .path import PathExercise, ex01, ex02, ex03, ex04, ex05, ex99
from .projects import ex12

__all__ = ["____", "Blank", "Exercise", "Incorrect", "PathExercise",
           "ex01", "ex02", "ex03", "ex04", "ex05", "ex06", "ex07", "ex08", "ex12", "ex99"]
