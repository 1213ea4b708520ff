"""Patch a node's ``/etc/containerd/config.toml`` like upstream kind's ``patch.ContainerdTOML``.

Upstream converts the config to JSON, applies each ``containerdConfigPatches`` entry as a JSON
merge patch (skipping a patch whose ``version`` differs from the config's), then each
``containerdConfigPatchesJSON6902`` entry (a JSON list of RFC 6902 operations), and writes TOML
back. pykind applies the same changes but edits the original document with ``tomlkit``, so
comments and layout of untouched parts survive.

On top, it reports patches that cannot have the intended effect:

* a merge patch skipped because its ``version`` is not the config's;
* a patch whose only changes are plugin sections the config does not have (containerd ignores
  settings for plugins it does not know);
* on config version 3 (containerd 2), settings under ``plugins."io.containerd.grpc.v1.cri"``
  that containerd 2 reads elsewhere (registry, sandbox image, runtimes, CNI);
* a patch that changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping, Sequence
from typing import Any

import tomlkit
import tomlkit.exceptions

from pykind.errors import PatchError
from pykind.patches.kube import apply_json6902, decode_json6902
from pykind.patches.merge import json_merge_patch
from pykind.patches.types import Rendered, apply_error, patch_error

_CRI_V1 = "io.containerd.grpc.v1.cri"
_IMAGES = "io.containerd.cri.v1.images"
_RUNTIME = "io.containerd.cri.v1.runtime"
#: Settings of the version 2 CRI plugin and where config version 3 expects them.
_MOVED = {
    "registry": (_IMAGES, f'plugins."{_IMAGES}".registry'),
    "sandbox_image": (_IMAGES, f'plugins."{_IMAGES}".pinned_images.sandbox'),
    "containerd": (_RUNTIME, f'plugins."{_RUNTIME}".containerd'),
    "cni": (_RUNTIME, f'plugins."{_RUNTIME}".cni'),
}


def _parse(text: str, what: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except (tomlkit.exceptions.TOMLKitError, ValueError) as err:
        raise patch_error(f"{what} is not valid TOML: {_one_line(err)}", label=what) from None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _version(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise patch_error(f"{what}: version must be an integer, got {value!r}", label=what)
    return value


def _same(a: Any, b: Any) -> bool:
    """Equality that tells ``true`` from ``1`` (TOML keeps them apart)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _plugins(config: dict[str, Any]) -> dict[str, Any]:
    plugins = config.get("plugins")
    return plugins if isinstance(plugins, dict) else {}


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'plugins."{n}"' for n in names)


def _findings(
    label: str, before: dict[str, Any], after: dict[str, Any], version: int
) -> tuple[list[str], list[str]]:
    """(mismatches, notes) for one applied patch."""
    if _same(before, after):
        return [], [f"{label} changes nothing in the node's containerd config."]
    changed_top = {
        k for k in before.keys() | after.keys() if not _same(before.get(k), after.get(k))
    }
    old, new = _plugins(before), _plugins(after)
    changed = [k for k in new.keys() | old.keys() if not _same(old.get(k), new.get(k))]
    created = sorted(k for k in changed if k not in old)
    if changed_top == {"plugins"} and changed and len(created) == len(changed):
        message = (
            f"{label} only configures plugins that this node's containerd config "
            f"(version {version}) does not have: {_quoted(created)}. containerd ignores "
            "settings of plugins it does not know, so the patch has no effect."
        )
        if version >= 3 and _CRI_V1 in created:
            message += (
                f" With config version 3 (containerd 2) the CRI image and registry settings "
                f'live under plugins."{_IMAGES}" and the runtime settings under '
                f'plugins."{_RUNTIME}".'
            )
        return [message], []
    mismatches: list[str] = []
    if version >= 3:
        old_cri, new_cri = old.get(_CRI_V1), new.get(_CRI_V1)
        old_cri = old_cri if isinstance(old_cri, dict) else {}
        new_cri = new_cri if isinstance(new_cri, dict) else {}
        for key, (plugin, where) in _MOVED.items():
            if key in old_cri or _same(old_cri.get(key), new_cri.get(key)):
                continue
            if plugin in changed:
                continue  # the patch also sets the new place: written for both versions
            mismatches.append(
                f'{label} sets plugins."{_CRI_V1}".{key}, which containerd 2 (config version '
                f"3, as on this node) does not read there, so it has no effect: use {where}."
            )
    return mismatches, []


def _null_path(value: Any, path: str = "") -> str | None:
    """The JSON pointer of the first null in ``value`` (TOML has no null), or None."""
    if value is None:
        return path or "/"
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _null_path(item, f"{path}/{key}")
        if found is not None:
            return found
    return None


def _sync(container: MutableMapping[str, Any], want: dict[str, Any]) -> None:
    """Edit a tomlkit container in place until it holds ``want``, keeping what is unchanged."""
    for key in [k for k in container if k not in want]:
        del container[key]
    for key, value in want.items():
        if key in container:
            have = container[key]
            plain = have.unwrap() if hasattr(have, "unwrap") else have
            if _same(plain, value):
                continue
            if isinstance(value, dict) and isinstance(have, MutableMapping):
                _sync(have, value)
                continue
        container[key] = value


def _write(doc: tomlkit.TOMLDocument, want: dict[str, Any]) -> str:
    try:
        _sync(doc, want)
        text = tomlkit.dumps(doc)
        if _same(tomlkit.parse(text).unwrap(), want):
            return text
    except (tomlkit.exceptions.TOMLKitError, ValueError, KeyError, TypeError):
        pass
    # tomlkit could not edit the layout in place: write the whole config afresh
    return tomlkit.dumps(want)


def patch_containerd_config(
    toml_text: str,
    merge_patches: Sequence[str],
    json6902: Sequence[str],
    *,
    strict: bool = False,
) -> Rendered:
    """Apply ``containerdConfigPatches`` (TOML merge patches) then
    ``containerdConfigPatchesJSON6902`` (JSON lists of RFC 6902 operations) to a containerd
    config, as upstream kind does.

    Returns the new config and warnings about patches that have no effect. Invalid patches,
    a config without a ``version`` and operations that fail raise
    :class:`~pykind.errors.PatchError`; with ``strict``, so do patches that match nothing
    (patches that merely change nothing only warn).
    """
    doc = _parse(toml_text, "the node's containerd config")
    current: dict[str, Any] = doc.unwrap()
    if "version" not in current:
        raise PatchError("failed to detect the containerd config version (no version field)")
    version = _version(current["version"], "the node's containerd config")
    mismatches: list[str] = []
    warnings: list[str] = []
    for i, raw in enumerate(merge_patches):
        label = f"containerdConfigPatches[{i}]"
        patch: dict[str, Any] = _parse(raw, label).unwrap()
        patch_version = _version(patch.get("version", 0), label)
        if patch_version and patch_version != version:
            message = (
                f"{label} sets version = {patch_version} but this node's containerd config is "
                f"version {version}, so it is skipped and matches nothing."
            )
            mismatches.append(message)
            warnings.append(message)
            continue
        merged = json_merge_patch(current, patch)
        found, notes = _findings(label, current, merged, version)
        mismatches += found
        warnings += found + notes
        current = merged
    for i, raw in enumerate(json6902):
        label = f"containerdConfigPatchesJSON6902[{i}]"
        try:
            ops = json.loads(raw)
        except ValueError as err:
            raise patch_error(
                f"{label} is not valid JSON (a list of RFC 6902 operations): {err}", label=label
            ) from None
        json_patch = decode_json6902(ops, label)
        try:
            patched = apply_json6902(json_patch, current)
        except ValueError as err:
            raise apply_error(f"{label} failed: {err}", label=label) from None
        if not isinstance(patched, dict):
            raise apply_error(f"{label} replaced the whole config with a non-table", label=label)
        null_at = _null_path(patched)
        if null_at is not None:
            raise apply_error(
                f"{label} leaves null at {null_at}, which TOML cannot hold", label=label
            )
        found, notes = _findings(label, current, patched, version)
        mismatches += found
        warnings += found + notes
        current = patched
    if strict and mismatches:
        raise patch_error("\n".join(mismatches))
    if not merge_patches and not json6902:
        return Rendered(text=toml_text)
    return Rendered(text=_write(doc, current), warnings=tuple(warnings))
