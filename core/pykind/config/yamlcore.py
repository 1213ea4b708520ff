"""A PyYAML loader with the YAML 1.2 core schema, as Go's yaml.v3 reads configs.

PyYAML resolves plain scalars with YAML 1.1 rules, where ``yes``/``no``/``on``/``off`` are
booleans, ``010`` is octal and ``2001-12-14`` a timestamp. kind (yaml.v3) and kubectl keep those
as strings. This loader resolves only ``true``/``false``, core-schema integers and floats,
``null``/``~``/empty, and merge keys (``<<``); everything else stays a string.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"

_INT_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class CoreSafeLoader(yaml.SafeLoader):
    """Safe loading with YAML 1.2 core-schema scalars (``010`` is ten, ``yes`` a string)."""

    #: Replaces SafeLoader's YAML 1.1 rules (filled below).
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012


def parse_core_int(text: str) -> int:
    """A core-schema integer literal (decimal, ``0o`` octal or ``0x`` hex, optional sign)."""
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_str(loader: CoreSafeLoader, node: ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _construct_core_int(loader: CoreSafeLoader, node: ScalarNode) -> int:
    return parse_core_int(str(loader.construct_scalar(node)))


CoreSafeLoader.add_implicit_resolver(
    BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CoreSafeLoader.add_implicit_resolver(INT_TAG, _INT_RE, list("-+0123456789"))
CoreSafeLoader.add_implicit_resolver(FLOAT_TAG, _FLOAT_RE, list("-+0123456789."))
CoreSafeLoader.add_implicit_resolver(NULL_TAG, re.compile(r"^(?:~|null|Null|NULL|)$"), [*"~nN", ""])
CoreSafeLoader.add_implicit_resolver(MERGE_TAG, re.compile(r"^(?:<<)$"), ["<"])
CoreSafeLoader.add_constructor(INT_TAG, _construct_core_int)
# a "<<" that is not a merge key (e.g. a value) is just the string
CoreSafeLoader.add_constructor(MERGE_TAG, _construct_str)


_TRUE_1_1 = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE_1_1 = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})


def bool_1_1(text: str) -> bool | None:
    """yaml.v3 still accepts YAML 1.1 booleans (``yes``, ``off``, ...) for bool-typed fields:
    their value, or None when ``text`` is not one of them."""
    if text in _TRUE_1_1:
        return True
    if text in _FALSE_1_1:
        return False
    return None


__all__ = [
    "BOOL_TAG",
    "FLOAT_TAG",
    "INT_TAG",
    "MERGE_TAG",
    "NULL_TAG",
    "STR_TAG",
    "CoreSafeLoader",
    "bool_1_1",
    "parse_core_int",
]
