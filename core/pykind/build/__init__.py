"""``kind build node-image``: :func:`pykind.build.node_image.build_node_image`."""

from __future__ import annotations

from pykind.build.node_image import (
    DEFAULT_BASE_IMAGE,
    DEFAULT_IMAGE,
    BuildError,
    build_node_image,
)

__all__ = ["DEFAULT_BASE_IMAGE", "DEFAULT_IMAGE", "BuildError", "build_node_image"]
