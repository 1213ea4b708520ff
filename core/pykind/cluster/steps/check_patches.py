"""Step ``check-patches``: with ``--strict-patches``, reject kubeadm patches that would match
nothing before any container exists (the kubeadm-config step renders and checks them again per
node, with the real facts)."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.plugin.types import CreateStep, Phase


def run(ctx: StepContext) -> None:
    if not ctx.strict_patches:
        return
    from pykind.kubeadm import check_patches_early

    # the Kubernetes version of each node comes from its image tag (when it names one)
    check_patches_early(ctx.config, None, strict=True)


STEP = CreateStep(
    name="check-patches",
    phase=Phase.PREFLIGHT,
    run=run,
    description="strict mode: validate kubeadm config patches before creating containers",
)
