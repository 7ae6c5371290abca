"""Self-checking exercises for notebooks 01-08 and 12 (``from aura_nb.teaching.exercises import ex02, ____``).

Each ``exNN`` has ``check(answer)``, ``hint()`` and ``solution()``; an exercise cell ships with the
blank ``____``, and ``check`` on it prints "not attempted yet" without raising, so Run All passes.
"""

from ._base import ____, Blank, Exercise, Incorrect
from .lessons import ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08
from .projects import ex12

__all__ = ["____", "Blank", "Exercise", "Incorrect",
           "ex01", "ex02", "ex03", "ex04", "ex05", "ex06", "ex07", "ex08",
           "ex12"]
