"""containerd configuration of the nodes: ``containerdConfigPatches`` and
``containerdConfigPatchesJSON6902``, with warnings for patches that have no effect."""

from __future__ import annotations

from pykind.containerd.patch import patch_containerd_config
from pykind.patches.types import Rendered

#: Where the node image keeps containerd's config.
CONTAINERD_CONFIG_PATH = "/etc/containerd/config.toml"

__all__ = ["CONTAINERD_CONFIG_PATH", "Rendered", "patch_containerd_config"]
