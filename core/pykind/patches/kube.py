"""Patching Kubernetes-style YAML documents the way upstream kind's ``patch.KubeYAML`` does,
while recording which patches matched nothing.

Matching (upstream's rule, on ``kind`` and ``apiVersion`` as rendered):

* ``kind`` must be equal;
* a patch without ``apiVersion`` matches every version of that kind;
* a patch whose ``apiVersion`` is a group with an empty version (``kubeadm.k8s.io/``) matches
  every version in that group;
* otherwise group and version must both be equal.

Every matching document receives every merge patch (in order), then every JSON 6902 patch (in
order). A patch that matches no document is ignored by upstream without a word; here it is
reported as :class:`Unmatched`, with a hint when the same kind is rendered at another version.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
import jsonpointer
import yaml

from pykind.patches import yamlcompat
from pykind.patches.merge import kubeadm_merge
from pykind.patches.types import apply_error, patch_error

_EXTRA_ARGS_KEYS = ("extraArgs", "kubeletExtraArgs")


def split_api_version(api_version: str) -> tuple[str, str]:
    """``group/version`` -> (group, version); a bare version has an empty group."""
    group, sep, version = api_version.rpartition("/")
    return (group, version) if sep else ("", api_version)


def join_group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def matches(kind: str, api_version: str, want_kind: str, want_api_version: str) -> bool:
    """Upstream kind's rule for whether a patch (``want_*``) applies to a document."""
    if kind != want_kind:
        return False
    if not want_api_version:
        return True
    group, version = split_api_version(api_version)
    want_group, want_version = split_api_version(want_api_version)
    return group == want_group and (not want_version or version == want_version)


def _type_meta(doc: dict[str, Any], what: str) -> tuple[str, str]:
    kind = doc.get("kind", "")
    api_version = doc.get("apiVersion", "")
    for name, value in (("kind", kind), ("apiVersion", api_version)):
        if value is not None and not isinstance(value, str):
            raise patch_error(f"{what}: {name} must be a string, got {value!r}")
    return kind or "", api_version or ""


@dataclass
class Resource:
    """One rendered document. ``kind``/``api_version`` are fixed when a round of patching starts
    (as upstream parses them once per round)."""

    doc: dict[str, Any]
    kind: str = ""
    api_version: str = ""

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Resource:
        kind, api_version = _type_meta(doc, "rendered document")
        return cls(doc=doc, kind=kind, api_version=api_version)

    @property
    def target(self) -> str:
        return f"{self.api_version} {self.kind}".strip()


@dataclass(frozen=True)
class MergePatchSource:
    """A ``kubeadmConfigPatches`` entry (may hold several YAML documents)."""

    label: str
    raw: str


@dataclass(frozen=True)
class JSON6902Source:
    """A ``kubeadmConfigPatchesJSON6902`` entry."""

    label: str
    group: str
    version: str
    kind: str
    patch: str


@dataclass(frozen=True)
class _MergeDoc:
    label: str
    doc: dict[str, Any]
    kind: str
    api_version: str


@dataclass(frozen=True)
class _JSONPatch:
    label: str
    patch: jsonpatch.JsonPatch
    kind: str
    api_version: str


@dataclass(frozen=True)
class Unmatched:
    """A patch (document) that matched no rendered document."""

    label: str
    #: What it asked for: ``kubeadm.k8s.io/v1beta2 ClusterConfiguration``.
    target: str
    kind: str
    #: A sentence on how to fix it, or empty.
    hint: str


@dataclass
class PatchReport:
    unmatched: list[Unmatched] = field(default_factory=list)
    #: Complete warnings about patch content that upstream silently drops.
    ignored: list[str] = field(default_factory=list)


def parse_merge_patches(sources: Sequence[MergePatchSource]) -> list[_MergeDoc]:
    """Split and parse merge patches; raises PatchError naming the bad patch."""
    parsed: list[_MergeDoc] = []
    for source in sources:
        docs: list[dict[str, Any]] = []
        for raw in yamlcompat.split_documents(source.raw):
            try:
                value = yamlcompat.load(raw)
            except (yaml.YAMLError, yamlcompat.YAMLDataError) as err:
                raise patch_error(
                    f"{source.label} is not valid YAML: {_one_line(err)}", label=source.label
                ) from None
            if value is None:
                continue
            if not isinstance(value, dict):
                raise patch_error(
                    f"{source.label} must be a YAML mapping (a partial kubeadm document), "
                    f"got {type(value).__name__}: {_one_line(raw)[:60]!r}",
                    label=source.label,
                )
            docs.append(value)
        for i, doc in enumerate(docs):
            label = f"{source.label}, document {i + 1}" if len(docs) > 1 else source.label
            kind, api_version = _type_meta(doc, label)
            parsed.append(_MergeDoc(label=label, doc=doc, kind=kind, api_version=api_version))
    return parsed


def parse_json6902_patches(sources: Sequence[JSON6902Source]) -> list[_JSONPatch]:
    """Parse RFC 6902 patches (YAML or JSON lists of operations)."""
    parsed: list[_JSONPatch] = []
    for source in sources:
        try:
            ops = yamlcompat.load(source.patch)
        except (yaml.YAMLError, yamlcompat.YAMLDataError) as err:
            raise patch_error(
                f"{source.label}: patch is not valid YAML or JSON: {_one_line(err)}",
                label=source.label,
            ) from None
        parsed.append(
            _JSONPatch(
                label=source.label,
                patch=decode_json6902(ops, source.label),
                kind=source.kind,
                api_version=join_group_version(source.group, source.version),
            )
        )
    return parsed


def decode_json6902(ops: Any, label: str) -> jsonpatch.JsonPatch:
    """Validate a decoded RFC 6902 operation list."""
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise patch_error(
            f"{label}: a JSON 6902 patch must be a list of operations like "
            '{"op": "add", "path": "/a/b", "value": 1}',
            label=label,
        )
    try:
        return jsonpatch.JsonPatch(ops)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as err:
        raise patch_error(f"{label}: invalid JSON 6902 patch: {err}", label=label) from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise patch_error(f"{label}: invalid JSON 6902 patch: {err!r}", label=label) from None


def apply_json6902(patch: jsonpatch.JsonPatch, doc: Any) -> Any:
    """Apply to a copy; raises ValueError with a readable reason."""
    try:
        return patch.apply(copy.deepcopy(doc))
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as err:
        raise ValueError(str(err) or type(err).__name__) from None
    except (KeyError, IndexError, TypeError, AttributeError) as err:
        raise ValueError(f"cannot apply operation ({err!r})") from None


def apply_patches(
    resources: list[Resource],
    merges: Sequence[MergePatchSource],
    json6902: Sequence[JSON6902Source],
) -> PatchReport:
    """Apply one round (one config level) of patches to ``resources`` in place."""
    merge_docs = parse_merge_patches(merges)
    json_patches = parse_json6902_patches(json6902)
    report = PatchReport()
    for mp in merge_docs:
        hits = [r for r in resources if matches(r.kind, r.api_version, mp.kind, mp.api_version)]
        for r in hits:
            result = kubeadm_merge(r.doc, mp.doc, r.api_version, mp.api_version)
            if not isinstance(result.document, dict):  # pragma: no cover - patch is a mapping
                raise apply_error(f"{mp.label} replaced the {r.target} document", label=mp.label)
            r.doc = result.document
            if result.dropped:
                report.ignored.append(_dropped_message(mp, r, result.dropped))
        if not hits:
            report.unmatched.append(
                Unmatched(mp.label, _merge_target(mp), mp.kind, _merge_hint(mp, resources))
            )
    for jp in json_patches:
        hits = [r for r in resources if matches(r.kind, r.api_version, jp.kind, jp.api_version)]
        for r in hits:
            try:
                patched = apply_json6902(jp.patch, r.doc)
            except ValueError as err:
                raise apply_error(
                    f"{jp.label} failed on {r.target}: {err}", label=jp.label
                ) from None
            if not isinstance(patched, dict):
                raise apply_error(
                    f"{jp.label} replaced the whole {r.target} document with a non-mapping",
                    label=jp.label,
                )
            r.doc = patched
        if not hits:
            report.unmatched.append(
                Unmatched(
                    jp.label,
                    f"{jp.api_version} {jp.kind}".strip() or "(no kind)",
                    jp.kind,
                    _json6902_hint(jp, resources),
                )
            )
    return report


def describe_documents(resources: Sequence[Resource]) -> str:
    """``kubeadm.k8s.io/v1beta4: ClusterConfiguration, InitConfiguration; kubelet...``"""
    groups: dict[str, list[str]] = {}
    for r in resources:
        groups.setdefault(r.api_version or "(no apiVersion)", []).append(r.kind or "(no kind)")
    return "; ".join(f"{api}: {', '.join(kinds)}" for api, kinds in groups.items())


def unmatched_message(u: Unmatched, rendered: str, extra_hint: str = "") -> str:
    """The warning for a patch that matched nothing."""
    hints = " ".join(h for h in (extra_hint, u.hint) if h)
    text = (
        f"{u.label} targets {u.target} but matches nothing, so it is ignored: "
        f"this node renders {rendered}."
    )
    return f"{text} {hints}" if hints else text


def _merge_target(mp: _MergeDoc) -> str:
    if not mp.kind:
        return "a document without kind"
    if not mp.api_version:
        return f"{mp.kind} (any apiVersion)"
    return f"{mp.api_version} {mp.kind}"


def _candidate(kind: str, resources: Sequence[Resource]) -> Resource | None:
    return next((r for r in resources if kind and r.kind == kind), None)


def _extra_args_forms(value: Any, path: str = "") -> tuple[list[str], list[str]]:
    """Dotted paths of ``extraArgs``/``kubeletExtraArgs`` in map form and in list form."""
    maps: list[str] = []
    lists: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in _EXTRA_ARGS_KEYS and isinstance(item, dict):
                maps.append(where)
            elif key in _EXTRA_ARGS_KEYS and isinstance(item, list):
                lists.append(where)
            else:
                sub_maps, sub_lists = _extra_args_forms(item, where)
                maps += sub_maps
                lists += sub_lists
    return maps, lists


def _merge_hint(mp: _MergeDoc, resources: Sequence[Resource]) -> str:
    candidate = _candidate(mp.kind, resources)
    if candidate is None:
        return ""
    new = candidate.api_version
    maps, lists = _extra_args_forms(mp.doc)
    if new.endswith("v1beta4") and maps:
        return (
            f"Retargeting it to {new} is not enough: {', '.join(maps)} use the map form, and "
            f"{new} takes a list of {{name, value}} pairs (or drop apiVersion from the patch "
            "and the map form is converted)."
        )
    if not new.endswith("v1beta4") and lists:
        return (
            f"Retargeting it to {new} is not enough: {', '.join(lists)} use the list form of "
            f"kubeadm.k8s.io/v1beta4, and {new} takes a map."
        )
    return f"Retarget it to {new}: it applies cleanly."


def _json6902_hint(jp: _JSONPatch, resources: Sequence[Resource]) -> str:
    candidate = _candidate(jp.kind, resources)
    if candidate is None:
        return ""
    new = candidate.api_version
    try:
        apply_json6902(jp.patch, candidate.doc)
    except ValueError as err:
        hint = f"Retargeting it to {new} is not enough: there it fails with: {err}."
        paths = [str(op.get("path", "")) for op in jp.patch.patch if isinstance(op, dict)]
        if new.endswith("v1beta4") and any(
            f"/{key}/" in path for path in paths for key in _EXTRA_ARGS_KEYS
        ):
            hint += (
                f" In {new}, extraArgs and kubeletExtraArgs are lists of {{name, value}} "
                'pairs: add to ".../extraArgs/-" a value like {"name": "v", "value": "4"}.'
            )
        return hint
    return f"Retarget it to {new}: it applies cleanly."


def _dropped_message(mp: _MergeDoc, r: Resource, paths: list[str]) -> str:
    return (
        f"{mp.label} sets {', '.join(paths)} in the map form, but {r.api_version} takes a "
        "list of {name, value} pairs, so that part of the patch is ignored. Write it as a list "
        "(- name: ..., value: ...) or drop apiVersion from the patch so the map form is "
        "converted."
    )


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def parse_resources(stream: str) -> list[Resource]:
    """Split and parse a YAML stream of Kubernetes-style documents (empty documents dropped)."""
    resources: list[Resource] = []
    for raw in yamlcompat.split_documents(stream):
        try:
            doc = yamlcompat.load(raw)
        except (yaml.YAMLError, yamlcompat.YAMLDataError) as err:
            raise patch_error(f"document to patch is not valid YAML: {_one_line(err)}") from None
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise patch_error(f"document to patch is not a mapping: {_one_line(raw)[:60]!r}")
        resources.append(Resource.from_doc(doc))
    return resources


def kube_yaml(
    stream: str,
    merges: Sequence[MergePatchSource],
    json6902: Sequence[JSON6902Source],
) -> tuple[str, PatchReport]:
    """Upstream's ``patch.KubeYAML`` on text: patch a YAML stream, return it re-encoded (sorted
    keys, no comments, ``---`` between documents) with the report of unmatched patches."""
    resources = parse_resources(stream)
    report = apply_patches(resources, merges, json6902)
    text = "---\n".join(yamlcompat.dump(r.doc) for r in resources)
    return text, report
