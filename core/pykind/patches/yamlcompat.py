"""YAML reading and writing that behaves like upstream kind's (``sigs.k8s.io/yaml``, go-yaml v2).

Upstream kind turns every kubeadm config document into JSON, patches it, and writes it back as
YAML. The result has sorted keys (go-yaml's "natural" order), no comments, strings that would
read as another type in double quotes, and YAML 1.1 scalars (``y``/``n``/``on``/``off`` are
booleans). This module reproduces that so that the text pykind writes to ``/kind/kubeadm.conf``
is the text kind writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cmp_to_key
from typing import Any

import yaml

_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_VALUE_TAG = "tag:yaml.org,2002:value"

#: go-yaml v2 reads these plain scalars as booleans (YAML 1.1, including ``y`` and ``n``).
_BOOL_RE = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"
)
_TRUE_WORDS = frozenset({"y", "yes", "true", "on"})


class YAMLDataError(ValueError):
    """A value that has no JSON form (upstream's YAML to JSON conversion fails on it)."""


def _resolvers(*, timestamps: bool) -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    dropped = {_BOOL_TAG, _VALUE_TAG} | (set() if timestamps else {_TIMESTAMP_TAG})
    table: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, rx) for tag, rx in entries if tag not in dropped]
        if kept:
            table[first] = kept
    for first in "yYnNtTfFoO":
        table.setdefault(first, []).insert(0, (_BOOL_TAG, _BOOL_RE))
    return table


class _Loader(yaml.SafeLoader):
    """SafeLoader with go-yaml v2's scalar rules: timestamps stay strings, ``y``/``n`` are
    booleans, and ``=`` is a plain string."""


_Loader.yaml_implicit_resolvers = _resolvers(timestamps=False)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return str(value).lower() in _TRUE_WORDS


def _construct_str(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor(_BOOL_TAG, _construct_bool)
_Loader.add_constructor(_TIMESTAMP_TAG, _construct_str)


def _go_yaml_key_cmp(a: str, b: str) -> int:
    """go-yaml v2's map key order: letters compare by code point, anything else sorts before
    a letter, and runs of digits compare by numeric value."""
    if a == b:
        return 0
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return -1 if ca < cb else 1
        if al or bl:
            return -1 if bl else 1
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return -1 if len(a) < len(b) else 1


_KEY_ORDER = cmp_to_key(_go_yaml_key_cmp)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes like go-yaml v2: sorted keys in its order, double quotes for
    strings that would read as another type, literal blocks for multi-line strings."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.yaml_implicit_resolvers = _resolvers(timestamps=True)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style: str | None = None
    if "\n" in data:
        style = "|"
    elif dumper.resolve(yaml.ScalarNode, data, (True, False)) != _STR_TAG:
        style = '"'
    return dumper.represent_scalar(_STR_TAG, data, style=style)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.MappingNode:
    items = sorted(data.items(), key=lambda kv: _KEY_ORDER(kv[0]))
    return dumper.represent_mapping(_MAP_TAG, items)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)


def load(text: str) -> Any:
    """Parse one YAML document with go-yaml v2's scalar rules and return its JSON form.

    Raises :class:`yaml.YAMLError` for invalid YAML and :class:`YAMLDataError` for values
    without a JSON form.
    """
    return to_json_compatible(yaml.load(text, Loader=_Loader))


def dump(value: Any) -> str:
    """Write one document the way ``sigs.k8s.io/yaml.JSONToYAML`` does."""
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        width=80,
    )
    # a bare scalar document ends with an explicit document end marker in PyYAML
    return text.removesuffix("...\n")


def split_documents(stream: str) -> Iterator[str]:
    """Split a YAML stream like upstream kind: at every line that starts with ``---`` (the rest
    of that line is dropped). Upstream loses a final document whose separator line has no
    newline after it; pykind keeps it."""
    rest = stream
    while True:
        i = rest.find("\n---")
        if i < 0:
            if rest:
                yield rest
            return
        yield rest[:i]
        j = rest.find("\n", i + 4)
        if j < 0:
            return
        rest = rest[j + 1 :]


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return _number_text(key)
    raise YAMLDataError(f"unsupported mapping key {key!r}")


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def to_json_compatible(value: Any) -> Any:
    """Convert loaded YAML to what a JSON round trip leaves: string keys, whole floats as ints.

    Raises :class:`YAMLDataError` for values JSON cannot hold (including self-references).
    """
    return _jsonable(value, frozenset())


def _jsonable(value: Any, parents: frozenset[int]) -> Any:
    if isinstance(value, (dict, list)):
        if id(value) in parents:
            raise YAMLDataError("a value that contains itself (recursive alias) has no JSON form")
        inner = parents | {id(value)}
        if isinstance(value, dict):
            return {_json_key(k): _jsonable(v, inner) for k, v in value.items()}
        return [_jsonable(v, inner) for v in value]
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise YAMLDataError(f"{value!r} has no JSON form")
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return value
    raise YAMLDataError(f"unsupported value {value!r} ({type(value).__name__})")
