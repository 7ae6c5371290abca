"""Find secrets in saved notebooks: the known values a simulator issued, and anything shaped like
a credential (``password = …``, ``access_token: …``, ``Bearer …``).

Used by the secret-scan test and by scripts/regenerate_notebooks.py (which refuses to write a
notebook in which the scan finds something). Pure functions over notebook JSON; no Jupyter import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

# A credential-looking assignment or header in any text: the key, then a value of 6+ characters.
_ASSIGNED = re.compile(
    r"""(?ix)
    (?P<key>password|passwd|neo4j_password|client_secret|aura_client_secret|access_token|api_key)
    \\?["']?\s*[:=]\s*\\?["']?
    (?P<value>[^\s"'\\,;}<>)]{6,})""")
_BEARER = re.compile(r"(?i)\bBearer\s+(?P<value>[A-Za-z0-9._~+/=-]{16,})")
# Values that say "there is a secret here, hidden": placeholders, masks, environment references.
_MASKED = re.compile(
    r"""(?ix) ^(?: [*\u2022.x-]+ | <[^>]*> | \$\{?[A-Z_]+\}? | \{[a-z_]+\}
    | your[-_a-z]* | (?:hidden|masked|redacted|not[-_ ]set|set|none|null)\W* )$
    | redacted | masked""")


@dataclass(frozen=True)
class Finding:
    """One suspicious string: which notebook, where in it, what kind, and a masked excerpt."""
    notebook: str
    where: str
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.notebook}: {self.kind} in {self.where}: {self.excerpt}"


def _mask(value: str) -> str:
    return value[:3] + "…" if len(value) > 3 else "…"


def notebook_texts(doc: dict) -> Iterator[tuple[str, str, bool]]:
    """``(where, text, is_code)`` for every part of a notebook that is saved: metadata, each
    cell's source (``is_code``), attachments and outputs (all mime types, tracebacks)."""
    yield "notebook metadata", json.dumps(doc.get("metadata", {})), False
    for index, cell in enumerate(doc.get("cells", []), start=1):
        yield f"cell {index} source", "".join(cell.get("source", "")), True
        rest = {k: v for k, v in cell.items() if k not in ("source", "id", "cell_type")}
        if rest:
            yield f"cell {index} outputs/metadata", json.dumps(rest), False


def scan_notebook(doc: dict, name: str, known: Iterable[str] = ()) -> list[Finding]:
    """Everything in one notebook (parsed JSON) that is, or looks like, a secret.

    ``known`` are actual secret values (client secret, tokens, passwords) to look for verbatim,
    also JSON-escaped, everywhere. The generic patterns catch credentials the caller does not
    know about, in outputs and metadata (sources legitimately say ``password=creds.password``).
    """
    values = [v for v in known if v]
    findings = []
    for where, text, is_code in notebook_texts(doc):
        for value in values:
            if value in text or json.dumps(value)[1:-1] in text:
                findings.append(Finding(name, where, "known secret", _mask(value)))
        if is_code:
            continue
        for pattern, kind in ((_ASSIGNED, "credential assignment"), (_BEARER, "bearer token")):
            for match in pattern.finditer(text):
                value = match.group("value")
                if not _MASKED.search(value):
                    findings.append(Finding(name, where, kind, _mask(match.group(0))))
    return findings


def scan_files(paths: Iterable[Path], known: Iterable[str] = ()) -> list[Finding]:
    """`scan_notebook` over files; a file that is not valid JSON is a finding too."""
    known = list(known)
    findings = []
    for path in paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except ValueError:
            findings.append(Finding(str(path), "file", "not valid JSON", ""))
            continue
        findings.extend(scan_notebook(doc, Path(path).name, known))
    return findings


def secret_values(issued: dict) -> list[str]:
    """Flatten ``GET /_simulator/secrets`` (``client_secrets``, ``access_tokens``,
    ``passwords``) into one list of values."""
    return [value for values in issued.values() for value in values if isinstance(value, str)]
