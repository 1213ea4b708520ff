"""kubeadm configuration: render ``/kind/kubeadm.conf`` like upstream kind and apply the
``kubeadmConfigPatches`` / ``kubeadmConfigPatchesJSON6902`` of the cluster and its nodes,
warning about patches that match nothing."""

from __future__ import annotations

from pykind.kubeadm.config import (
    API_SERVER_INTERNAL_PORT,
    DEFAULT_TOKEN,
    NodeFacts,
    kubeadm_documents,
    new_token,
    node_kubeadm_config,
    render_kubeadm_config,
)
from pykind.kubeadm.early import check_patches_early
from pykind.kubeadm.version import kubeadm_api_version, parse_version, version_from_image
from pykind.patches.types import Rendered

#: Where each node's kubeadm config is written (``kubeadm init|join --config``).
KUBEADM_CONFIG_PATH = "/kind/kubeadm.conf"

__all__ = [
    "API_SERVER_INTERNAL_PORT",
    "DEFAULT_TOKEN",
    "KUBEADM_CONFIG_PATH",
    "NodeFacts",
    "Rendered",
    "check_patches_early",
    "kubeadm_api_version",
    "kubeadm_documents",
    "new_token",
    "node_kubeadm_config",
    "parse_version",
    "render_kubeadm_config",
    "version_from_image",
]
