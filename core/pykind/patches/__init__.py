"""Config patching shared by the kubeadm and containerd renderers: upstream kind's merge and
JSON 6902 patch semantics, plus reports of patches that match nothing."""

from __future__ import annotations

from pykind.patches.kube import (
    JSON6902Source,
    MergePatchSource,
    PatchReport,
    Resource,
    Unmatched,
    apply_patches,
    describe_documents,
    kube_yaml,
    matches,
    parse_resources,
    unmatched_message,
)
from pykind.patches.merge import json_merge_patch, kubeadm_merge
from pykind.patches.types import PatchApplyError, Rendered

__all__ = [
    "JSON6902Source",
    "MergePatchSource",
    "PatchApplyError",
    "PatchReport",
    "Rendered",
    "Resource",
    "Unmatched",
    "apply_patches",
    "describe_documents",
    "json_merge_patch",
    "kube_yaml",
    "kubeadm_merge",
    "matches",
    "parse_resources",
    "unmatched_message",
]
