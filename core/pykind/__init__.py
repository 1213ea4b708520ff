"""pykind: Kubernetes IN Docker, in Python.

The public API, imported lazily so that ``import pykind`` stays cheap::

    from pykind import ClusterManager

    manager = ClusterManager(provider="docker")
    manager.create("dev", config="kind.yaml", wait=60)
"""

from __future__ import annotations

# No `typing` import at run time: `kind version` / `kind get clusters` start without it.
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "hookimpl": "pykind.plugin",
    "hookspec": "pykind.plugin",
    "ClusterManager": "pykind.cluster.manager",
    "ClusterConfig": "pykind.config.models",
    "load_config": "pykind.config.loader",
    "create_plugin_manager": "pykind.plugin.manager",
    "AddonSpec": "pykind.plugin.types",
    "CNISpec": "pykind.plugin.types",
    "CreateStep": "pykind.plugin.types",
    "NodeProviderSpec": "pykind.plugin.types",
    "Phase": "pykind.plugin.types",
    "StepContext": "pykind.cluster.context",
    "PykindError": "pykind.errors",
    "ConfigError": "pykind.errors",
}

__all__ = [
    "AddonSpec",
    "CNISpec",
    "ClusterConfig",
    "ClusterManager",
    "ConfigError",
    "CreateStep",
    "NodeProviderSpec",
    "Phase",
    "PykindError",
    "StepContext",
    "create_plugin_manager",
    "hookimpl",
    "hookspec",
    "load_config",
]

if TYPE_CHECKING:
    from typing import Any

    from pykind.cluster.context import StepContext
    from pykind.cluster.manager import ClusterManager
    from pykind.config.loader import load_config
    from pykind.config.models import ClusterConfig
    from pykind.errors import ConfigError, PykindError
    from pykind.plugin import hookimpl, hookspec
    from pykind.plugin.manager import create_plugin_manager
    from pykind.plugin.types import AddonSpec, CNISpec, CreateStep, NodeProviderSpec, Phase


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pykind' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
