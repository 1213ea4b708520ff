"""What plugins register: frozen dataclasses returned from registration hooks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pykind.cluster.context import StepContext
    from pykind.config.models import ClusterConfig
    from pykind.runtime.protocols import NodeProvider


class NoOptions(BaseModel):
    """Options model of a plugin that takes none."""

    model_config = ConfigDict(extra="forbid")


def _normalise(name: str) -> str:
    return name.strip().lower()


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """Base of every registration: a user-facing name, unique per kind of spec."""

    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _normalise(self.name))


def _never(_: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class NodeProviderSpec(PluginSpec):
    """A node runtime. ``factory`` builds the provider; both callables import SDKs lazily."""

    factory: Callable[[], NodeProvider] = field(default=None)  # type: ignore[assignment]
    is_available: Callable[[], bool] = field(default=lambda: True)
    #: Auto-detection order: lower is tried first (docker=10, podman=20), as upstream.
    priority: int = 100
    description: str = ""


@dataclass(frozen=True, slots=True)
class CNISpec(PluginSpec):
    """A CNI that can be installed instead of the default (kindnet)."""

    install: Callable[[StepContext], None] = field(default=None)  # type: ignore[assignment]
    description: str = ""


class Phase(IntEnum):
    """Upstream kind's create actions, in order. Steps sort by phase, then registration."""

    PREFLIGHT = 0
    IMAGES = 5
    PROVISION = 10
    LOADBALANCER = 20
    KUBEADM_CONFIG = 30
    KUBEADM_INIT = 40
    CNI = 50
    STORAGE = 60
    KUBEADM_JOIN = 70
    WAIT_READY = 80
    KUBECONFIG = 85
    ADDONS = 90


@dataclass(frozen=True, slots=True)
class CreateStep(PluginSpec):
    """One step of ``create cluster``. ``run`` raises on failure."""

    phase: Phase = Phase.ADDONS
    run: Callable[[StepContext], None] = field(default=None)  # type: ignore[assignment]
    #: Return True to skip the step for this config (e.g. CNI with disableDefaultCNI).
    skip_if: Callable[[ClusterConfig], bool] = field(default=_never)
    description: str = ""


@dataclass(frozen=True, slots=True)
class AddonSpec(PluginSpec):
    """An add-on: something installed into a cluster after it is up.

    ``prepare`` changes the cluster config before provisioning (port mappings, node labels);
    ``install`` applies it; ``ready`` waits for it; ``remove`` undoes ``install``.
    """

    install: Callable[[StepContext, Any], None] = field(default=None)  # type: ignore[assignment]
    options_model: type[BaseModel] = NoOptions
    description: str = ""
    #: Images the add-on runs; loaded from the host engine into the nodes when present there.
    images: Callable[[Any], Sequence[str]] | None = None
    prepare: Callable[[ClusterConfig, Any], ClusterConfig] | None = None
    ready: Callable[[StepContext, Any], None] | None = None
    remove: Callable[[StepContext, Any], None] | None = None
    #: Add-ons that cannot be installed together with this one (e.g. two ingress controllers
    #: both wanting host ports 80/443); choosing both is a ConfigError.
    conflicts: tuple[str, ...] = ()
