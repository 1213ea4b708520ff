"""Merge patches: RFC 7386 JSON merge patch plus upstream kind's kubeadm-aware list merging.

Upstream kind (since it renders ``kubeadm.k8s.io/v1beta4`` for Kubernetes 1.36+) merges three
kubeadm fields itself before the plain JSON merge patch runs, and removes them from the patch:

* ``certSANs`` (anywhere, any version): the patch's entries are appended unless present.
* ``extraArgs`` / ``kubeletExtraArgs`` when the target document is ``v1beta4``: merged by
  ``name`` (a ``value`` of null removes the argument, a new name is appended). An *unversioned*
  patch may still use the old map form, which is converted; a *versioned* patch in map form
  is dropped (it sets nothing), which :func:`kubeadm_merge` reports.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

_EXTRA_ARGS_KEYS = ("extraArgs", "kubeletExtraArgs")


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces.

    Returns a new value; the inputs are not changed.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result: dict[str, Any] = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


@dataclass
class KubeadmMergeResult:
    """Outcome of :func:`kubeadm_merge`."""

    document: dict[str, Any]
    #: Dotted paths of map-form ``extraArgs`` in a versioned patch: upstream ignores them.
    dropped: list[str] = field(default_factory=list)
    #: Dotted paths of map-form ``extraArgs`` converted to the ``v1beta4`` list form.
    converted: list[str] = field(default_factory=list)


def kubeadm_merge(
    target: dict[str, Any], patch: dict[str, Any], target_version: str, patch_version: str
) -> KubeadmMergeResult:
    """Apply one merge patch document to one rendered document, as upstream kind does.

    ``target_version`` and ``patch_version`` are the documents' ``apiVersion`` values (the
    patch's may be empty).
    """
    merged = copy.deepcopy(target)
    remaining = copy.deepcopy(patch)
    result = KubeadmMergeResult(document=merged)
    _walk(merged, remaining, target_version.endswith("v1beta4"), patch_version, result, "")
    result.document = json_merge_patch(merged, remaining)
    return result


def _walk(
    target: dict[str, Any],
    patch: dict[str, Any],
    v1beta4: bool,
    patch_version: str,
    result: KubeadmMergeResult,
    path: str,
) -> None:
    for key in list(patch):
        value = patch[key]
        where = f"{path}.{key}" if path else key
        if key in _EXTRA_ARGS_KEYS:
            if v1beta4:
                _merge_extra_args(target, key, value, patch_version, result, where)
                del patch[key]
            continue
        if key == "certSANs":
            _merge_cert_sans(target, key, value)
            del patch[key]
            continue
        if isinstance(value, dict):
            if key not in target:
                target[key] = {}
            if isinstance(target[key], dict):
                _walk(target[key], value, v1beta4, patch_version, result, where)


def _as_arg_list(value: dict[str, Any]) -> list[Any]:
    return [{"name": name, "value": arg} for name, arg in value.items()]


def _merge_extra_args(
    target: dict[str, Any],
    key: str,
    value: Any,
    patch_version: str,
    result: KubeadmMergeResult,
    where: str,
) -> None:
    items: list[Any] = []
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        if patch_version:
            result.dropped.append(where)
        else:
            items = _as_arg_list(value)
            result.converted.append(where)
    current = target.get(key)
    args: list[Any] | None = None
    if isinstance(current, list):
        args = current
    elif isinstance(current, dict):
        args = _as_arg_list(current)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name, arg = item["name"], item.get("value")
        found = next(
            (
                i
                for i, have in enumerate(args or [])
                if isinstance(have, dict) and have.get("name") == name
            ),
            -1,
        )
        if found >= 0 and args is not None:
            if arg is None:
                del args[found]
            else:
                args[found]["value"] = arg
        elif arg is not None:
            args = [*(args or []), {"name": name, "value": arg}]
    # like upstream, an argument list that ends up absent is written as null
    target[key] = args


def _merge_cert_sans(target: dict[str, Any], key: str, value: Any) -> None:
    current = target.get(key)
    sans: list[Any] | None = list(current) if isinstance(current, list) else None
    for san in value if isinstance(value, list) else []:
        if sans is None:
            sans = [san]
        elif san not in sans:
            sans.append(san)
    target[key] = sans
