"""The plugin manager: loads built-in and entry-point plugins, collects their registrations."""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from pykind.errors import PluginConflictError, PluginError, ProviderNotFoundError
from pykind.plugin import NAME, hookspecs
from pykind.plugin.types import AddonSpec, CNISpec, CreateStep, NodeProviderSpec, PluginSpec

if TYPE_CHECKING:
    from pykind.runtime.protocols import NodeProvider

log = logging.getLogger(__name__)

#: Plugins that ship inside the core package and are always registered.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "pykind.cluster.steps",
    "pykind.networking.kindnet",
    "pykind.doctor.preflight",
)

DISABLE_ENV = "PYKIND_DISABLE_PLUGINS"
PROVIDER_ENV = "KIND_EXPERIMENTAL_PROVIDER"

S = TypeVar("S", bound=PluginSpec)


class PykindPluginManager(pluggy.PluginManager):
    """A pluggy manager with typed accessors for what plugins register."""

    def __init__(self) -> None:
        super().__init__(NAME)
        self.add_hookspecs(hookspecs)
        #: Entry points that failed to load: name -> error text.
        self.failed: dict[str, str] = {}
        #: Distribution of each plugin loaded from an entry point: name -> (project, version).
        self.distributions: dict[str, tuple[str, str]] = {}

    def _collect(self, results: Iterable[Iterable[S] | None], kind: str) -> dict[str, S]:
        found: dict[str, S] = {}
        for batch in results:
            for spec in batch or ():
                if spec.name in found:
                    raise PluginConflictError(
                        f"two plugins register the {kind} {spec.name!r}; "
                        f"disable one with --disable-plugin or {DISABLE_ENV}"
                    )
                found[spec.name] = spec
        return found

    def node_providers(self) -> dict[str, NodeProviderSpec]:
        return self._collect(self.hook.pykind_node_providers(), "node provider")

    def addons(self) -> dict[str, AddonSpec]:
        return self._collect(self.hook.pykind_addons(), "add-on")

    def cni_plugins(self) -> dict[str, CNISpec]:
        return self._collect(self.hook.pykind_cni_plugins(), "CNI")

    def create_steps(self) -> list[CreateStep]:
        """All steps, sorted by phase; registration order breaks ties (builtins first)."""
        results = list(reversed(self.hook.pykind_create_steps()))
        steps = list(self._collect(results, "create step").values())
        return sorted(steps, key=lambda s: s.phase)

    def get_node_provider(self, name: str | None = None) -> NodeProvider:
        """The provider called ``name``; else ``KIND_EXPERIMENTAL_PROVIDER``; else the first
        available one by priority (docker before podman, as upstream)."""
        specs = self.node_providers()
        name = name or os.environ.get(PROVIDER_ENV) or None
        if name:
            spec = specs.get(name.strip().lower())
            if spec is None:
                choices = ", ".join(sorted(specs)) or "none installed"
                raise ProviderNotFoundError(f"unknown provider {name!r}; choose one of: {choices}")
            return spec.factory()
        ordered = sorted(specs.values(), key=lambda s: (s.priority, s.name))
        for spec in ordered:
            try:
                if spec.is_available():
                    return spec.factory()
            except Exception as exc:  # an SDK probing a dead socket must not crash detection
                log.debug("provider %s not available: %s", spec.name, exc)
        if not ordered:
            raise ProviderNotFoundError("no node provider is installed")
        # Nothing answers: build the preferred one so its error names the socket it tried.
        return ordered[0].factory()

    def plugin_infos(self) -> list[dict[str, Any]]:
        """Name, version, distribution and hooks of every registered plugin."""
        infos = []
        for plugin_name, plugin in sorted(self.list_name_plugin(), key=lambda x: str(x[0])):
            if plugin is None:
                continue
            project, version = self.distributions.get(str(plugin_name), ("pykind", "builtin"))
            hooks = sorted(h.name for h in self.get_hookcallers(plugin) or ())
            infos.append(
                {
                    "name": plugin_name,
                    "version": version,
                    "distribution": project,
                    "hooks": hooks,
                }
            )
        return infos


def _blocked_from_env() -> list[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return [n.strip() for n in raw.split(",") if n.strip()]


def create_plugin_manager(
    *,
    autoload: bool = True,
    blocked: Sequence[str] = (),
    extra: Sequence[object] = (),
    builtins: bool = True,
) -> PykindPluginManager:
    """A fresh plugin manager: builtins, then entry points (minus ``blocked`` and
    ``PYKIND_DISABLE_PLUGINS``), then ``extra`` plugin objects (for embedding and tests)."""
    pm = PykindPluginManager()
    for name in [*blocked, *_blocked_from_env()]:
        pm.set_blocked(name)
    if builtins:
        for modname in BUILTIN_PLUGINS:
            if not pm.is_blocked(modname):
                pm.register(importlib.import_module(modname), name=modname)
    if autoload:
        _load_entrypoints(pm)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    pm.hook.pykind_configure.call_historic(kwargs={"pm": pm})
    if os.environ.get("PYKIND_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: log.debug("%s", msg))
        pm.enable_tracing()
    return pm


def _load_entrypoints(pm: PykindPluginManager) -> None:
    """Like pluggy's loader, but a broken plugin is recorded and skipped, not fatal."""
    from importlib import metadata

    for dist in list(metadata.distributions()):
        for ep in dist.entry_points:
            if ep.group != NAME or pm.get_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                pm.failed[ep.name] = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %s failed to load: %s", ep.name, exc)
                continue
            try:
                pm.register(plugin, name=ep.name)
            except ValueError as exc:
                raise PluginError(f"plugin {ep.name!r} could not be registered: {exc}") from exc
            pm.distributions[ep.name] = (dist.metadata["Name"], dist.version)


@functools.cache
def get_plugin_manager() -> PykindPluginManager:
    """The process-wide default plugin manager (the CLI uses its own; embedders may too)."""
    return create_plugin_manager()
