"""Each rule has one home, and these tests fail when a second one appears (#21).

Read with ``ast`` (not grep), so comments and docstrings never count, and strings do only where
the code uses them.

**Status names.** An API instance status (`lifecycle.STATUSES`) is spelled only in
`aura_nb/core/lifecycle.py` and in the simulator (which plays the API and imports nothing of the
client). Elsewhere a status string literal is allowed only as the *goal* of a wait or a record,
that is when the literal itself (not something computed from it) is

1. the value of a keyword argument named ``status`` or ``target`` in a call
   (``wait_for_instances(ids, status="running")``, ``manifest.update(a, status="creating")``);
2. a positional argument of a call to a function whose name starts with ``wait_for``
   (``client.wait_for_instance(id, "running", timeout)``);
3. the default of a parameter or a dataclass field named ``status`` or ``target``
   (``def wait_for_instance(self, instance_id, status="running")``).

Anything else (a comparison ``status == "paused"``, a set of statuses, a table keyed by status)
asks `aura_nb.core.lifecycle` (``RUNNING``, ``is_transitional``, ``ACTIONS``...).

**Constants.** A rule's constant is assigned only in its home module (`HOMES`), and the name
length is written only as `rules.NAME_MAX`: no other module assigns the number to a name about
names, or writes it into a "1-30 characters" text.

**Masks.** A secret is shown as `display.MASKED` or `display.REDACTED` (or through `display.mask`,
`history.redact`): no other module writes a mask of its own into a string (``"<secret>"``,
``"***"``, bullets), docstrings aside.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from aura_nb.core import lifecycle, rules

pytestmark = pytest.mark.xdist_group("rule_homes")

PACKAGE = Path(__file__).resolve().parents[2] / "aura_nb"
STATUS_HOMES = ("core/lifecycle.py", "simulator/")
GOAL_KEYWORDS = ("status", "target")

#: Where each rule's constant is assigned; nowhere else in aura_nb may a name be bound to it.
HOMES = {
    "NAME_MAX": "core/rules.py",
    "MAX_NAME_LENGTH": "core/rules.py",
    "CHOICE_FIELDS": "core/rules.py",
    "TYPE_ORDER": "core/rules.py",
    "SETTLES_TO": "core/lifecycle.py",
    "SETTLED": "core/lifecycle.py",
    "STATUSES": "core/lifecycle.py",
    "MASKED": "core/display.py",
    "REDACTED": "core/display.py",
}
#: Text that is a mask for a secret, whatever the module meant by it.
MASK_LIKE = ("<redacted>", "<secret>", "<hidden>", "<masked>", "***", "\u2022\u2022")


@functools.cache  # parsed once for every test here (about 1 s), on the one worker they share
def _modules() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(), str(path)))
            for path in sorted(PACKAGE.rglob("*.py"))]


def _allowed_goals(tree: ast.Module) -> set[int]:
    """ids of the constant nodes used as a goal (rules 1-3 of the module docstring)."""
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            allowed.update(id(k.value) for k in node.keywords if k.arg in GOAL_KEYWORDS)
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.startswith("wait_for"):
                allowed.update(id(a) for a in node.args)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
                     *zip(args.kwonlyargs, args.kw_defaults)]
            allowed.update(id(default) for arg, default in pairs
                           if default is not None and arg.arg in GOAL_KEYWORDS)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id in GOAL_KEYWORDS and node.value is not None:
            allowed.add(id(node.value))
    return allowed


def status_literals(module: str, tree: ast.Module) -> list[str]:
    """``"module:line: 'status'"`` for each API status literal that is not a goal."""
    allowed = _allowed_goals(tree)
    hits = sorted((node.lineno, node.col_offset, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and node.value in lifecycle.STATUSES
                  and id(node) not in allowed)
    return [f"{module}:{line}: {value!r}" for line, _, value in hits]


def test_status_names_are_spelled_only_in_the_lifecycle_module():
    found: dict[str, list[str]] = {}
    for module, tree in _modules():
        if not module.startswith(STATUS_HOMES):
            hits = status_literals(module, tree)
            if hits:
                found[module] = hits
    new = [hit for hits in found.values() for hit in hits]
    assert not new, ("API status names outside aura_nb/core/lifecycle.py (use its constants or "
                     "functions; a literal is fine only as a goal, status=\"running\"):\n"
                     + "\n".join(new))


def test_the_goal_allowance_is_as_narrow_as_documented():
    source = '''
client.wait_for_instance(i, "running", 5)
client.wait_for_instances(ids, status="paused")
manifest.update(a, status="creating")
def wait(i, status="running", *, target="paused"): ...
class Op:
    target: str = "running"
if instance.status == "paused": ...
busy = ("running", "paused")
client.wait_for_instance(i, "paused" if s == "pausing" else "running")
WorkshopEvent("created", a, i, "creating")
'''
    hits = status_literals("example.py", ast.parse(source))
    assert [hit.split(": ", 1)[1] for hit in hits] == [
        "'paused'", "'running'", "'paused'", "'paused'", "'pausing'", "'running'", "'creating'"]


def test_each_rule_constant_is_assigned_only_in_its_home():
    seconds = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
            for target in targets:
                name = getattr(target, "id", getattr(target, "attr", None))
                if name in HOMES and HOMES[name] != module:
                    seconds.append(f"{module}:{node.lineno}: {name} (its home is {HOMES[name]})")
    assert not seconds, "a rule's constant defined a second time:\n" + "\n".join(seconds)


def _is_status_collection(node: ast.AST) -> bool:
    items = node.elts if isinstance(node, (ast.Set, ast.Tuple, ast.List)) else \
        node.keys if isinstance(node, ast.Dict) else []
    return sum(isinstance(i, ast.Constant) and i.value in lifecycle.STATUSES for i in items) >= 2


def _name_length_copies(module: str, tree: ast.Module) -> list[str]:
    limit = rules.NAME_MAX
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant) \
                and node.value.value == limit:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [getattr(t, "id", getattr(t, "attr", "")) for t in targets]
            if any("NAME" in n.upper() for n in names):
                found.append(f"{module}:{node.lineno}: {', '.join(names)} = {limit}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and f"-{limit} char" in node.value:
            found.append(f"{module}:{node.lineno}: {node.value!r}")
        if _is_status_collection(node) and not module.startswith(STATUS_HOMES):
            found.append(f"{module}:{node.lineno}: a second set of statuses")
    return found


def test_the_name_length_and_status_sets_have_no_second_definition():
    copies = [hit for module, tree in _modules() if module != "core/rules.py"
              and module.split("/")[0] != "simulator" for hit in _name_length_copies(module, tree)]
    assert not copies, ("write rules.NAME_MAX (or f'1-{NAME_MAX} characters') and ask "
                        "core/lifecycle.py for statuses:\n" + "\n".join(copies))



def _docstrings(tree: ast.Module) -> set[int]:
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def mask_literals(module: str, tree: ast.Module) -> list[str]:
    """``"module:line: text"`` for each string (docstrings aside) that writes a mask itself."""
    skip = _docstrings(tree)
    return [f"{module}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in skip and any(m in node.value for m in MASK_LIKE)]


def test_secrets_are_masked_only_with_the_display_modules_masks():
    found = [hit for module, tree in _modules() if module != "core/display.py"
             and not module.startswith("simulator/") for hit in mask_literals(module, tree)]
    assert not found, ("use aura_nb.core.display's MASKED/REDACTED (mask(), history.redact()) "
                       "instead of a mask of one's own:\n" + "\n".join(found))


@pytest.mark.parametrize("scan, source, expected", [
    ("copies", "MAX_NAME_LENGTH = 30", 1),
    ("copies", "help = 'name (1-30 characters)'", 1),
    ("copies", "placeholder = f'1-{NAME_MAX} characters'", 0),
    ("copies", "BUSY = {'creating', 'pausing'}", 1),
    ("copies", "timeout = 30", 0),
    ("masks", "why = why.replace(secret, '<secret>')", 1),
    ("masks", "line = f'Bearer <redacted>'", 1),
    ("masks", "line = f'Bearer {REDACTED}'", 0),
    ("masks", "def f():\n    \"\"\"Shown as ``<redacted>``.\"\"\"", 0),
])
def test_second_definitions_and_masks_are_recognised(scan, source, expected):
    scanner = _name_length_copies if scan == "copies" else mask_literals
    assert len(scanner("example.py", ast.parse(source))) == expected
