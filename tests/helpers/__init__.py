"""Code the test folders share, imported by its full name: ``from tests.helpers.client import ...``.

The repository root is on ``sys.path`` (pytest puts the root ``conftest.py``'s folder there), and
``tests`` is a namespace package, so every folder imports these modules the same way. Fixtures
are not here: they live in ``tests/conftest.py`` (shared) and in each folder's ``conftest.py``.

Modules: ``simulator`` (plain-``requests`` callers of a simulator, its command line, its request
counts), ``v2`` (the v2beta1 caller), ``client`` (a scripted loopback server), ``clock`` (a manual
clock, ``wait_until``), ``specs`` (instance specs the simulator accepts), ``needs`` (skip, or fail
under ``CI=true``, when something from outside the repository is missing: the published
reference documents), ``outside`` (outside clients, a simulator process), ``workshop`` (the class
the workshop tests teach), ``journeys`` and ``kernels`` (whole notebooks in kernels).

Simulator speeds (virtual seconds per real second): every test simulator runs at one of these.
"""

#: A simulator that a paced client talks to (``sim``, ``make_simulator``, the workshop tests):
#: creating an instance (90-150 server seconds) takes 0.9-1.5 real seconds, and the client's 125
#: requests per server minute are 125 per 0.6 real seconds.
SPEED = 100.0

#: A simulator nothing paces (rate limit off) that tests only wait on: ``fast_sim`` (the magics),
#: simulator processes for outside clients. A create is running after 0.09-0.15 real seconds.
FAST = 1000.0

#: The simulator's own default: server time is real time, so tests that check exact lifetimes and
#: durations (the simulator's contract tests, ``manual_sim``) move the clock with ``advance()``.
REAL_TIME = 1.0
