"""Kubeconfig documents as plain data, and a kind cluster's entries in them.

A kubeconfig is kept as the parsed YAML mapping so that every field pykind does not know about
is written back unchanged. Only the shape kubectl relies on is checked: a mapping whose
``clusters``, ``users`` and ``contexts`` are lists of mappings with string names.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from pykind.config.validators import describe_yaml_error, kind_of
from pykind.config.yamlcore import CoreSafeLoader
from pykind.errors import ConfigError

LIST_KEYS = ("clusters", "users", "contexts")
#: The field of each list entry holding its content (``clusters[i].cluster``...).
ENTRY_FIELDS = {"clusters": "cluster", "users": "user", "contexts": "context"}
CURRENT_CONTEXT = "current-context"
KIND_PREFIX = "kind-"

Document = dict[Any, Any]


def context_name(cluster_name: str) -> str:
    """The name of a kind cluster's cluster, user and context entries: ``kind-<name>``."""
    return f"{KIND_PREFIX}{cluster_name}"


@dataclass(frozen=True)
class KubeconfigEntries:
    """One kind cluster's three kubeconfig entries (all named ``kind-<cluster>``)."""

    name: str
    cluster: Mapping[str, Any]
    user: Mapping[str, Any]
    context: Mapping[str, Any]
    #: Top-level fields of kubeadm's admin.conf besides the lists (apiVersion, kind,
    #: preferences); used for a file that has none (as upstream).
    other_fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return str(self.cluster.get("cluster", {}).get("server", ""))

    def as_document(self) -> Document:
        """A kubeconfig holding just this cluster, with it as the current context."""
        doc: Document = {}
        fields = {
            "clusters": [copy.deepcopy(dict(self.cluster))],
            "contexts": [copy.deepcopy(dict(self.context))],
            CURRENT_CONTEXT: self.name,
            "users": [copy.deepcopy(dict(self.user))],
            **copy.deepcopy(dict(self.other_fields)),
        }
        for key in sorted(fields, key=str):  # kubectl's (alphabetical) field order
            doc[key] = fields[key]
        return doc

    def to_yaml(self) -> str:
        """The kubeconfig text of :meth:`as_document` (what ``kind get kubeconfig`` prints)."""
        return dump_document(self.as_document())


# -- parsing and checking -----------------------------------------------------------------------


def parse_document(text: str, label: str) -> Document:
    """The kubeconfig in ``text``; empty text is an empty kubeconfig. ``label`` names the file
    in errors (ConfigError: never a silent overwrite of something unreadable)."""
    try:
        doc = yaml.load(text, Loader=CoreSafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"kubeconfig {label} is not valid YAML: {describe_yaml_error(exc)}"
        ) from None
    except RecursionError:
        raise ConfigError(f"kubeconfig {label} is nested too deeply to read") from None
    if doc is None:
        return {}
    check_document(doc, label)
    return doc


def check_document(doc: Any, label: str) -> None:
    """Raise ConfigError unless ``doc`` has the shape kubectl can load."""
    if not isinstance(doc, dict):
        raise ConfigError(
            f"kubeconfig {label} is not a kubeconfig: expected a mapping, got {kind_of(doc)}"
        )
    for key in LIST_KEYS:
        entries = doc.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ConfigError(f"kubeconfig {label}: {key} must be a list, got {kind_of(entries)}")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ConfigError(
                    f"kubeconfig {label}: {key}[{index}] must be a mapping, got {kind_of(entry)}"
                )
            name = entry.get("name")
            if name is not None and not isinstance(name, str):
                raise ConfigError(
                    f"kubeconfig {label}: {key}[{index}].name must be a string, got {kind_of(name)}"
                )
    current = doc.get(CURRENT_CONTEXT)
    if current is not None and not isinstance(current, str):
        raise ConfigError(
            f"kubeconfig {label}: {CURRENT_CONTEXT} must be a string, got {kind_of(current)}"
        )


def dump_document(doc: Document) -> str:
    """YAML text for ``doc`` in kubectl's block style; an empty document is an empty file."""
    if not doc:
        return ""
    return yaml.safe_dump(
        doc,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1 << 30,
    )


# -- merging ------------------------------------------------------------------------------------


def merge_entries(
    doc: Document, entries: KubeconfigEntries, *, set_current: bool = True
) -> Document:
    """A copy of ``doc`` with ``entries`` replacing the same-named entries (or appended), every
    other entry and field kept, and (by default) the current context set to this cluster."""
    out: Document = copy.deepcopy(doc)
    has_other_fields = any(key not in (*LIST_KEYS, CURRENT_CONTEXT) for key in doc)
    placeholders: set[Any] = set()
    if not out:  # a new file: kubectl's (alphabetical) field order
        placeholders = {*LIST_KEYS, CURRENT_CONTEXT, *entries.other_fields}
        out = dict.fromkeys(sorted(placeholders, key=str))
    for key, entry in (
        ("clusters", entries.cluster),
        ("users", entries.user),
        ("contexts", entries.context),
    ):
        items = out.get(key) or []
        replaced = False
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get("name") == entries.name:
                items[index] = copy.deepcopy(dict(entry))
                replaced = True
        if not replaced:
            items.append(copy.deepcopy(dict(entry)))
        out[key] = items
    if set_current:
        out[CURRENT_CONTEXT] = entries.name
    # upstream: a file without apiVersion/kind/... gets admin.conf's (some clients need them)
    if not has_other_fields:
        for key, value in entries.other_fields.items():
            out[key] = copy.deepcopy(value)
    for key in placeholders:
        if out.get(key) is None:
            out.pop(key, None)
    return out


def remove_entries(doc: Document, name: str) -> tuple[Document, bool]:
    """A copy of ``doc`` without the entries named ``name``, the current context unset if it
    was ``name`` (as upstream); and whether anything changed."""
    out: Document = copy.deepcopy(doc)
    changed = False
    for key in LIST_KEYS:
        items = out.get(key)
        if not isinstance(items, list):
            continue
        kept = [item for item in items if not (isinstance(item, dict) and item.get("name") == name)]
        if len(kept) != len(items):
            changed = True
            out[key] = kept
    if out.get(CURRENT_CONTEXT) == name:
        out.pop(CURRENT_CONTEXT)
        changed = True
    return out, changed


def find_entries(doc: Document, name: str) -> KubeconfigEntries | None:
    """The cluster, user and context named ``name`` in ``doc`` (None unless all three exist)."""
    found: dict[str, dict[str, Any]] = {}
    for key in LIST_KEYS:
        for item in doc.get(key) or []:
            if isinstance(item, dict) and item.get("name") == name:
                found[key] = item
    if len(found) != len(LIST_KEYS):
        return None
    others = {k: v for k, v in doc.items() if k not in (*LIST_KEYS, CURRENT_CONTEXT)}
    return KubeconfigEntries(
        name=name,
        cluster=copy.deepcopy(found["clusters"]),
        user=copy.deepcopy(found["users"]),
        context=copy.deepcopy(found["contexts"]),
        other_fields=copy.deepcopy(others),
    )
