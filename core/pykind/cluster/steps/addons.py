"""Step ``addons``: install the add-ons chosen for this cluster (``pykind.addons`` does the
work when installed; otherwise each add-on's ``install`` then ``ready`` run in order)."""

from __future__ import annotations

import importlib
import importlib.util

from pykind.cluster.context import StepContext
from pykind.errors import AddonError
from pykind.plugin.types import CreateStep, Phase


def run(ctx: StepContext) -> None:
    if importlib.util.find_spec("pykind.addons") is not None:
        module = importlib.import_module("pykind.addons")
        install_selected = getattr(module, "install_selected", None)
        if install_selected is not None:
            install_selected(ctx)
            return
    if not ctx.addons:
        return
    specs = ctx.pm.addons()
    for name, options in ctx.addons.items():
        spec = specs.get(name)
        if spec is None:
            raise AddonError(f"unknown add-on {name!r}")
        spec.install(ctx, options)
        if spec.ready is not None:
            spec.ready(ctx, options)


STEP = CreateStep(
    name="addons",
    phase=Phase.ADDONS,
    run=run,
    description="install the add-ons chosen with --addon",
)
