"""Installing and removing add-ons: in the create pipeline's ``addons`` step, or later on an
existing cluster (``kind addon install|remove``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pykind.addons.images import preload_images
from pykind.addons.options import get_spec, validate_spec_options
from pykind.cluster.context import StepContext
from pykind.config.models import ClusterConfig
from pykind.errors import AddonError, ClusterNotFoundError, ConfigError, NodeCommandError
from pykind.runtime.protocols import NodeProvider
from pykind.status import NULL_STATUS, Status, step

if TYPE_CHECKING:
    from pykind.plugin.manager import PykindPluginManager
    from pykind.plugin.types import AddonSpec

#: ``StepContext.data`` key set when add-ons are installed on a cluster that already exists.
EXISTING_CLUSTER = "addons.existing_cluster"


def _failure(name: str, action: str, exc: BaseException) -> AddonError:
    detail = str(exc)
    if isinstance(exc, NodeCommandError):
        lines = [line for line in exc.output.splitlines() if line.strip()]
        if lines:
            detail = f"{detail}: {lines[-1].strip()}"
    return AddonError(f"add-on {name!r} failed to {action}: {detail}")


def _run(name: str, action: str, func: Any, *args: Any) -> None:
    try:
        func(*args)
    except ConfigError:
        raise
    except AddonError as exc:
        if name in str(exc):
            raise
        raise _failure(name, action, exc) from exc
    except Exception as exc:
        raise _failure(name, action, exc) from exc


def _preload(ctx: StepContext, spec: AddonSpec, options: Any) -> None:
    images = list(spec.images(options)) if spec.images is not None else []
    if not images:
        return
    plan = preload_images(ctx.provider, ctx.nodes(), images, status=ctx.status)
    if plan.missing:
        ctx.warn(
            f"add-on {spec.name!r}: image(s) not found in the {ctx.provider.name} engine, so not "
            f"preloaded (the nodes pull them if they can reach a registry): "
            + ", ".join(plan.missing)
        )


def install_one(ctx: StepContext, spec: AddonSpec, options: Any) -> None:
    """Preload images, install, then wait for readiness, each reported as a status step."""
    with step(ctx.status, f"Installing add-on {spec.name} 🧩"):
        _run(spec.name, "load its images", _preload, ctx, spec, options)
        _run(spec.name, "install", spec.install, ctx, options)
    if spec.ready is not None:
        with step(ctx.status, f"Waiting for add-on {spec.name} to be ready ⏳"):
            _run(spec.name, "become ready", spec.ready, ctx, options)


def install_selected(ctx: StepContext) -> None:
    """The pipeline's ``addons`` step: install ``ctx.addons`` (name -> options) in order."""
    for name, options in ctx.addons.items():
        spec = get_spec(ctx.pm, name)
        install_one(ctx, spec, validate_spec_options(spec, options))


def _target(
    target: Any, pm: PykindPluginManager | None
) -> tuple[NodeProvider, PykindPluginManager]:
    if isinstance(target, NodeProvider):
        provider: NodeProvider = target
    elif hasattr(target, "provider"):
        provider = target.provider
    else:
        raise TypeError("expected a ClusterManager or a NodeProvider")
    if pm is None:
        pm = getattr(target, "plugin_manager", None) or getattr(target, "pm", None)
    if pm is None:
        from pykind.plugin.manager import get_plugin_manager

        pm = get_plugin_manager()
    return provider, pm


def existing_cluster_context(
    target: Any,
    cluster: str,
    *,
    pm: PykindPluginManager | None = None,
    status: Status | None = None,
) -> StepContext:
    """A step context for an existing cluster (its nodes must exist)."""
    provider, manager = _target(target, pm)
    ctx = StepContext(
        config=ClusterConfig(name=cluster).with_defaults(),
        provider=provider,
        pm=manager,
        status=status or NULL_STATUS,
    )
    ctx.data[EXISTING_CLUSTER] = True
    if not ctx.nodes():
        raise ClusterNotFoundError(f"no nodes found for cluster {cluster!r}")
    return ctx


def create_time_changes(spec: AddonSpec, options: Any) -> list[str]:
    """What ``spec.prepare`` would add to a one-node config: host port mappings and node labels
    (the parts an existing cluster cannot get; containerd patches are the add-on's to check)."""
    if spec.prepare is None:
        return []
    try:
        changed = spec.prepare(ClusterConfig().with_defaults(), options)
    except Exception:
        return []
    ports = [
        f"{m.listen_address}:{m.host_port}->{m.container_port}/{m.protocol.value}"
        for node in changed.nodes
        for m in node.extra_port_mappings
    ]
    labels = [f"{k}={v}" for node in changed.nodes for k, v in node.labels.items()]
    found = []
    if ports:
        found.append("host port mappings " + ", ".join(ports))
    if labels:
        found.append("node labels " + ", ".join(labels))
    return found


def _on_existing(
    target: Any,
    cluster: str,
    name: str,
    options: Mapping[str, Any] | BaseModel | None,
    pm: PykindPluginManager | None,
    status: Status | None,
    *,
    removable: bool = False,
) -> tuple[AddonSpec, Any, StepContext]:
    """The add-on ``name``, its validated options, and a context on the existing ``cluster``
    recording them. With ``removable``, an add-on without ``remove`` is an AddonError."""
    provider, manager = _target(target, pm)
    spec = get_spec(manager, name)
    if removable and spec.remove is None:
        raise AddonError(f"add-on {spec.name!r} cannot be removed")
    validated = validate_spec_options(spec, options)
    ctx = existing_cluster_context(provider, cluster, pm=manager, status=status)
    ctx.addons[spec.name] = validated
    return spec, validated, ctx


def install_addon(
    target: Any,
    cluster: str,
    name: str,
    options: Mapping[str, Any] | BaseModel | None = None,
    *,
    pm: PykindPluginManager | None = None,
    status: Status | None = None,
) -> list[str]:
    """Install add-on ``name`` into the existing ``cluster``; returns warnings.

    ``target`` is a ClusterManager or a NodeProvider. Config changes an add-on's ``prepare``
    would make cannot be applied to running nodes: choose such add-ons at create time.
    """
    spec, validated, ctx = _on_existing(target, cluster, name, options, pm, status)
    missing = create_time_changes(spec, validated)
    if missing:
        ctx.warn(
            f"add-on {spec.name!r} sets {' and '.join(missing)} when a cluster is created; "
            f"the existing cluster {cluster!r} does not get them (choose the add-on with "
            "--addon at create time)"
        )
    install_one(ctx, spec, validated)
    return list(ctx.warnings)


def remove_addon(
    target: Any,
    cluster: str,
    name: str,
    options: Mapping[str, Any] | BaseModel | None = None,
    *,
    pm: PykindPluginManager | None = None,
    status: Status | None = None,
) -> list[str]:
    """Undo ``install_addon`` (same options); returns warnings."""
    spec, validated, ctx = _on_existing(target, cluster, name, options, pm, status, removable=True)
    with step(ctx.status, f"Removing add-on {spec.name} 🧹"):
        _run(spec.name, "be removed", spec.remove, ctx, validated)
    return list(ctx.warnings)
