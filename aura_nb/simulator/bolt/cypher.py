"""The few statements a simulated instance answers, and the one failure for everything else.

It answers ``RETURN <literal>[ AS name][, ...]`` (integers, floats, strings, booleans, null,
``$parameters``, lists and maps of these), ``CALL dbms.components()`` and ``SHOW DATABASES``.
Anything else is a :class:`CypherFailure` that says so in one line: the simulator does not pretend
to run Cypher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Answer", "CypherFailure", "Facts", "answer", "UNSUPPORTED"]

#: The one line every statement the simulator does not answer gets.
UNSUPPORTED = ("The Aura simulator answers only RETURN <literal>, CALL dbms.components() and "
               "SHOW DATABASES; the real service runs the full Cypher language.")

#: ``dbms.components()`` per instance type: Aura runs Neo4j Enterprise on every tier.
EDITIONS = {"free-db": "enterprise", "professional-db": "enterprise",
            "business-critical": "enterprise", "enterprise-db": "enterprise",
            "enterprise-ds": "enterprise"}
#: The Aura release reported for an instance of version "5".
AURA_VERSIONS = {"5": "5.27-aura"}


@dataclass(frozen=True)
class Facts:
    """What the statements can see of an instance: its type, version and databases."""
    instance_type: str
    version: str
    databases: tuple[str, ...]          # the default database first


@dataclass(frozen=True)
class Answer:
    """A statement's result: column names and rows (lists of values)."""
    fields: list
    records: list
    kind: str = "r"                     # query type in the summary: read-only


class CypherFailure(Exception):
    """A statement the simulator refuses, with Neo4j's status code and GQL status."""

    def __init__(self, code: str, message: str, gql_status: str = "50N42",
                 description: str = "error: general processing exception - unexpected error"):
        super().__init__(message)
        self.code, self.message = code, message
        self.gql_status, self.description = gql_status, description


def _unsupported() -> CypherFailure:
    return CypherFailure("Neo.ClientError.Statement.SyntaxError", UNSUPPORTED, "42001",
                         "error: syntax error or access rule violation - invalid syntax")


def answer(statement: str, parameters: dict, facts: Facts) -> Answer:
    """The answer to ``statement``; raises CypherFailure for a statement it does not answer."""
    text = statement.strip().rstrip(";").strip()
    words = text.split()
    upper = [w.upper() for w in words]
    if upper[:2] == ["SHOW", "DATABASES"] and len(upper) == 2:
        return _databases(facts)
    if re.fullmatch(r"CALL\s+dbms\.components\s*\(\s*\)", text, re.IGNORECASE):
        return Answer(["name", "versions", "edition"],
                      [["Neo4j Kernel", [AURA_VERSIONS.get(facts.version, f"{facts.version}-aura")],
                        EDITIONS.get(facts.instance_type, "enterprise")]])
    if upper[:1] == ["RETURN"]:
        return _return(text[len(words[0]):], parameters or {})
    raise _unsupported()


_DATABASE_COLUMNS = ["name", "type", "aliases", "access", "address", "role", "writer",
                     "requestedStatus", "currentStatus", "statusMessage", "default", "home",
                     "constituents"]


def _databases(facts: Facts) -> Answer:
    rows = []
    for i, name in enumerate(facts.databases):
        rows.append([name, "standard", [], "read-write", "localhost:7687", "primary", True,
                     "online", "online", "", i == 0, i == 0, []])
    rows.append(["system", "system", [], "read-write", "localhost:7687", "primary", True,
                 "online", "online", "", False, False, []])
    return Answer(list(_DATABASE_COLUMNS), rows)


_TOKEN = re.compile(r"""\s*(?:
    (?P<float>-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+)
  | (?P<int>-?\d+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<param>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)
  | (?P<punct>[\[\]{},:])
)""", re.VERBOSE)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"'}


class _Parser:
    """Recursive descent over the tokens of ``RETURN``'s items."""

    def __init__(self, text: str, parameters: dict):
        self.text, self.tokens, self.parameters, pos = text, [], parameters, 0
        while text[pos:].strip():
            match = _TOKEN.match(text, pos)
            if not match:
                raise _unsupported()
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind), match.start(kind), match.end(kind)))
            pos = match.end()
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, 0, 0)

    def take(self, *expected):
        kind, value, _, _ = token = self.peek()
        if kind is None or (expected and value not in expected and kind not in expected):
            raise _unsupported()
        self.i += 1
        return token

    def value(self):
        start = self.i
        kind, value, _, _ = self.take()
        if kind == "int":
            result = int(value)
            if not -(1 << 63) <= result < (1 << 63):
                raise _unsupported()
        elif kind == "float":
            result = float(value)
        elif kind == "string":
            result = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), value[1:-1])
        elif kind == "param":
            if value[1:] not in self.parameters:
                raise CypherFailure("Neo.ClientError.Statement.ParameterMissing",
                                    f"Expected parameter(s): {value[1:]}", "42N51",
                                    "error: syntax error or access rule violation - "
                                    "invalid parameter")
            result = self.parameters[value[1:]]
        elif kind == "name" and value.lower() in ("true", "false", "null"):
            result = {"true": True, "false": False, "null": None}[value.lower()]
        elif value == "[":
            result = []
            while self.peek()[1] != "]":
                result.append(self.value()[0])
                if self.peek()[1] != "]":
                    self.take(",")
            self.take("]")
        elif value == "{":
            result = {}
            while self.peek()[1] != "}":
                key = self.take("name")[1].strip("`")
                self.take(":")
                result[key] = self.value()[0]
                if self.peek()[1] != "}":
                    self.take(",")
            self.take("}")
        else:
            raise _unsupported()
        return result, self.text[self.tokens[start][2]:self.tokens[self.i - 1][3]]


def _return(items: str, parameters: dict) -> Answer:
    parser = _Parser(items, parameters)
    fields, row = [], []
    while True:
        value, text = parser.value()
        name = text
        if parser.peek()[1] is not None and parser.peek()[1].upper() == "AS":
            parser.take()
            name = parser.take("name")[1].strip("`")
        fields.append(name)
        row.append(value)
        if parser.peek()[0] is None:
            break
        parser.take(",")
    return Answer(fields, [row])
