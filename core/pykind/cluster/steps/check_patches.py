"""Step ``check-patches``: with ``--strict-patches``, reject bad kubeadm patches before any
container exists (later, the kubeadm-config step renders and reports them per node)."""

from __future__ import annotations

import re

from pykind.cluster.context import StepContext
from pykind.errors import PatchError
from pykind.plugin.types import CreateStep, Phase

_TAG_VERSION = re.compile(r":(v\d+\.\d+(?:\.\d+)?[^@]*)")


def image_kubernetes_version(image: str) -> str | None:
    """The Kubernetes version a ``kindest/node:vX.Y.Z`` style tag names, if any."""
    match = _TAG_VERSION.search(image.rsplit("/", 1)[-1])
    return match.group(1) if match else None


def run(ctx: StepContext) -> None:
    if not ctx.strict_patches:
        return
    from pykind.kubeadm.config import check_patches_early

    planes = ctx.config.control_planes
    version = image_kubernetes_version(planes[0].image) if planes else None
    problems = check_patches_early(ctx.config, version)
    if problems:
        raise PatchError("; ".join(problems))


STEP = CreateStep(
    name="check-patches",
    phase=Phase.PREFLIGHT,
    run=run,
    description="strict mode: validate kubeadm config patches before creating containers",
)
