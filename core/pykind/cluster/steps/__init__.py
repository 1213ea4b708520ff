"""Built-in create steps, registered as a plugin through ``pykind_create_steps``.

One module per step, in upstream kind's order::

    check-patches, ensure-images, provision, loadbalancer, kubeadm-config, kubeadm-init,
    cni, storage, kubeadm-join, wait-ready, kubeconfig, addons

The core ``pykind_run_step`` implementation (``trylast``) runs ``step.run(ctx)``; plugins wrap
it (``@pykind.hookimpl(wrapper=True)``) to time or trace steps, or answer it first to replace a
step's behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable

from pykind.cluster.context import StepContext
from pykind.cluster.steps import (
    addons,
    check_patches,
    cni,
    ensure_images,
    kubeadm_config,
    kubeadm_init,
    kubeadm_join,
    kubeconfig,
    loadbalancer,
    provision,
    storage,
    wait_ready,
)
from pykind.plugin import hookimpl
from pykind.plugin.types import CreateStep

BUILTIN_STEPS: tuple[CreateStep, ...] = (
    check_patches.STEP,
    ensure_images.STEP,
    provision.STEP,
    loadbalancer.STEP,
    kubeadm_config.STEP,
    kubeadm_init.STEP,
    cni.STEP,
    storage.STEP,
    kubeadm_join.STEP,
    wait_ready.STEP,
    kubeconfig.STEP,
    addons.STEP,
)


@hookimpl
def pykind_create_steps() -> Iterable[CreateStep]:
    return list(BUILTIN_STEPS)


@hookimpl(trylast=True)
def pykind_run_step(step: CreateStep, ctx: StepContext) -> bool | None:
    step.run(ctx)
    return True
