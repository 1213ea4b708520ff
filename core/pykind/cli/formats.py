"""Small text helpers that reproduce upstream kind's (Go's) output formats."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5 micro sign
    "μs": 1e-6,  # U+03BC greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_quote(text: str) -> str:
    """``text`` as Go's ``%q`` prints it (double quotes, backslash escapes)."""
    return json.dumps(text, ensure_ascii=False)


def go_quote_list(items: Iterable[str]) -> str:
    """A string slice as Go's ``%q`` prints it: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(i) for i in items) + "]"


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``60s``, ``1m``, ``5m30s``, ``1.5h``, ``300ms``, ``0``).

    Raises ValueError with Go's message (``time: invalid duration "x"``).
    """
    error = ValueError(f"time: invalid duration {go_quote(text)}")
    raw = text.strip()
    sign = 1.0
    if raw[:1] in "+-" and raw:
        sign = -1.0 if raw[0] == "-" else 1.0
        raw = raw[1:]
    if raw == "0":
        return 0.0
    if not raw:
        raise error
    pos = 0
    total = 0.0
    while pos < len(raw):
        match = _PART.match(raw, pos)
        if match is None:
            raise error
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Columns aligned like Go's tabwriter (padding 3), no trailing spaces."""
    table = [list(headers), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    lines = []
    for row in table:
        cells = [cell.ljust(widths[i] + 3) for i, cell in enumerate(row[:-1])]
        lines.append(("".join(cells) + row[-1]).rstrip())
    return "\n".join(lines)


def to_json(data: object) -> str:
    """Indented JSON for ``-o json``."""
    return json.dumps(data, indent=2, ensure_ascii=False)
