"""Images add-ons run: loaded from the host engine into the nodes before install.

An image present in the host engine is streamed into every Kubernetes node's containerd; an
absent one is listed in one warning (the nodes pull it themselves when a registry is reachable).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from pykind.addons.kubectl import kubernetes_nodes
from pykind.runtime.protocols import Node, NodeProvider
from pykind.status import NULL_STATUS, Status

#: upstream kind's import command (``nodeutils.LoadImageArchive``), without the snapshotter flag.
CTR_IMPORT = ("ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests", "-")


@dataclass(frozen=True, slots=True)
class PreloadPlan:
    """``present`` maps each wanted image to the reference found in the host engine."""

    present: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


def without_digest(image: str) -> str:
    """``name:tag@sha256:...`` -> ``name:tag`` (engines keep tags; a digest needs a pull)."""
    name, _, _ = image.partition("@")
    return name


def plan_preload(provider: NodeProvider, images: Sequence[str]) -> PreloadPlan:
    """Which images the host engine has. A digest-pinned reference also matches its tag."""
    present: list[tuple[str, str]] = []
    missing: list[str] = []
    for image in dict.fromkeys(images):
        candidates = [image]
        if "@" in image and ":" in without_digest(image).rsplit("/", 1)[-1]:
            candidates.append(without_digest(image))
        found = next((ref for ref in candidates if provider.image_id(ref)), None)
        if found is None:
            missing.append(image)
        else:
            present.append((image, found))
    return PreloadPlan(present=tuple(present), missing=tuple(missing))


def _shared_loader() -> Callable[..., object] | None:
    """``pykind.images.load.load_images`` (``kind load docker-image``) when it is installed: it
    skips images a node already has and streams to all nodes at once."""
    try:
        from pykind.images.load import load_images
    except ImportError:
        return None
    return cast("Callable[..., object]", load_images)


def load_into_nodes(
    provider: NodeProvider,
    nodes: Sequence[Node],
    refs: Sequence[str],
    *,
    status: Status = NULL_STATUS,
) -> None:
    """Load engine images ``refs`` into ``nodes`` (all of one cluster)."""
    if not refs or not nodes:
        return
    loader = _shared_loader()
    if loader is not None:
        loader(
            provider,
            nodes[0].cluster,
            list(refs),
            nodes=[n.name for n in nodes],
            status=status,
        )
        return
    # Fallback: one ``docker save`` stream per node into ``ctr images import``.
    for node in nodes:
        node.run(list(CTR_IMPORT), stdin=provider.save_images(list(refs)))


def preload_images(
    provider: NodeProvider,
    nodes: Sequence[Node],
    images: Sequence[str],
    *,
    status: Status = NULL_STATUS,
) -> PreloadPlan:
    """Plan, then load the present images into the Kubernetes nodes; returns the plan."""
    plan = plan_preload(provider, images)
    load_into_nodes(
        provider, kubernetes_nodes(nodes), [ref for _, ref in plan.present], status=status
    )
    return plan
