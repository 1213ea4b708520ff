"""Step ``cni``: install the cluster's CNI ("Installing CNI 🔌"): kindnet unless the config
sets ``networking.disableDefaultCNI``, or the one chosen by name (``CNISpec``)."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.errors import ConfigError
from pykind.plugin.manager import PykindPluginManager
from pykind.plugin.types import CNISpec, CreateStep, Phase
from pykind.status import step

DEFAULT_CNI = "kindnet"
NO_CNI = "none"


def resolve_cni(pm: PykindPluginManager, name: str) -> CNISpec | None:
    """The ``CNISpec`` called ``name`` (None for ``none``); ConfigError naming the choices."""
    key = (name or DEFAULT_CNI).strip().lower()
    if key == NO_CNI:
        return None
    specs = pm.cni_plugins()
    spec = specs.get(key)
    if spec is None:
        choices = ", ".join([*sorted(specs), NO_CNI])
        raise ConfigError(f"unknown CNI {name!r}; choose one of: {choices}", field="cni")
    return spec


def run(ctx: StepContext) -> None:
    spec = resolve_cni(ctx.pm, ctx.cni)
    if spec is None:
        return
    if spec.name == DEFAULT_CNI and ctx.config.networking.disable_default_cni:
        return
    with step(ctx.status, "Installing CNI 🔌"):
        spec.install(ctx)


STEP = CreateStep(
    name="cni",
    phase=Phase.CNI,
    run=run,
    description="install the CNI (kindnet by default)",
)
