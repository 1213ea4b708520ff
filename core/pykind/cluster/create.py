"""``create cluster``: upstream kind's ``create.Cluster``, as an ordered list of create steps.

The steps come from plugins (``pykind_create_steps``; the built-in ones live in
:mod:`pykind.cluster.steps`), sorted by phase; ``pykind_modify_create_steps`` may edit the list;
each runs through ``pykind_run_step``. When a step fails (or the user interrupts), whatever was
created is deleted unless ``retain`` is set, and :class:`~pykind.errors.StepError` names the
step, with the original error chained as its ``__cause__``. The exception: a step raising
:class:`~pykind.errors.ClusterExistsError` (the provider found the name taken while creating
containers, i.e. a concurrent create won the race) deletes nothing and re-raises it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pykind.cluster.context import StepContext
from pykind.cluster.delete import delete_cluster
from pykind.cluster.steps.cni import DEFAULT_CNI, resolve_cni
from pykind.cluster.steps.kubeconfig import NOTE_KEY, PATH_KEY
from pykind.config.models import ClusterConfig
from pykind.errors import (
    AddonError,
    ClusterExistsError,
    ConfigError,
    NodeCommandError,
    ProviderError,
    PykindError,
    StepError,
)
from pykind.plugin.manager import PykindPluginManager
from pykind.plugin.types import CreateStep
from pykind.runtime.protocols import NodeProvider
from pykind.status import NULL_STATUS, Status

#: Host names are limited to 64 characters and ``-control-plane`` takes 14 (as upstream).
CLUSTER_NAME_MAX = 50


@dataclass(frozen=True)
class CreateResult:
    """What ``create cluster`` produced."""

    name: str
    #: The kubeconfig file the ``kind-<name>`` context was written to (None if no step wrote
    #: one, e.g. when the kubeconfig step was removed).
    kubeconfig_path: Path | None
    #: The kubectl context name (``kind-<name>``).
    context: str
    warnings: tuple[str, ...] = ()
    #: A hint about the kubeconfig file chosen (e.g. that KUBECONFIG lists several files).
    kubeconfig_note: str = ""
    #: The data steps handed on (join token, admin kubeconfig, ...), for embedding tools.
    data: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def ensure_absent(provider: NodeProvider, name: str) -> None:
    """ClusterExistsError when containers already carry this cluster's label."""
    if provider.list_nodes(name):
        raise ClusterExistsError(f'node(s) already exist for a cluster with the name "{name}"')


def validate_provider(provider: NodeProvider) -> None:
    """Rootless engines need cgroup v2 and delegated controllers (upstream's checks)."""
    info = provider.info()
    if not info.rootless:
        return
    if not info.cgroup2:
        raise ProviderError(
            "running kind with a rootless provider requires cgroup v2, "
            "see https://kind.sigs.k8s.io/docs/user/rootless/"
        )
    if not (info.supports_memory_limit and info.supports_pids_limit):
        raise ProviderError(
            "running kind with a rootless provider requires setting systemd property "
            '"Delegate=yes", see https://kind.sigs.k8s.io/docs/user/rootless/'
        )


def _addons_api(attr: str) -> Any:
    """``pykind.addons.<attr>`` when the add-ons package provides it, else None."""
    if importlib.util.find_spec("pykind.addons") is None:
        return None
    return getattr(importlib.import_module("pykind.addons"), attr, None)


def validate_addons(pm: PykindPluginManager, addons: Mapping[str, Any] | None) -> dict[str, Any]:
    """Chosen add-ons as ``name -> options model``; raw mappings are validated by the
    add-on's ``options_model``. ConfigError names the add-on and the bad option.

    ``pykind.addons.resolve_selection`` does this (and more checks) when installed."""
    if not addons:
        return {}
    resolve = _addons_api("resolve_selection")
    if resolve is not None:
        return dict(resolve(pm, addons))
    specs = pm.addons()
    chosen: dict[str, BaseModel] = {}
    for raw_name, options in addons.items():
        name = raw_name.strip().lower()
        spec = specs.get(name)
        if spec is None:
            choices = ", ".join(sorted(specs)) or "none installed"
            raise ConfigError(
                f"unknown add-on {raw_name!r}; choose one of: {choices}", field="addons"
            )
        if isinstance(options, BaseModel):
            chosen[name] = options
            continue
        try:
            chosen[name] = spec.options_model.model_validate(dict(options or {}))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            raise ConfigError(
                problem.get("msg", str(exc)),
                field=f"addons.{name}" + (f".{where}" if where else ""),
            ) from exc
    return chosen


def prepare_addons(
    pm: PykindPluginManager, config: ClusterConfig, addons: Mapping[str, Any]
) -> ClusterConfig:
    """Let each chosen add-on adjust the config before provisioning (``AddonSpec.prepare``);
    ``pykind.addons.prepare_config`` does it when installed."""
    if not addons:
        return config
    prepare = _addons_api("prepare_config")
    if prepare is not None:
        prepared: ClusterConfig = prepare(pm, config, dict(addons))
        return prepared
    specs = pm.addons()
    for name, options in addons.items():
        spec = specs[name]
        if spec.prepare is None:
            continue
        try:
            config = spec.prepare(config, options)
        except PykindError:
            raise
        except Exception as exc:
            raise AddonError(f"add-on {name!r} failed to prepare the config: {exc}") from exc
    return config


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NodeCommandError):
        output = exc.output.strip()
        return f"{exc}\n\nCommand Output: {output}" if output else str(exc)
    if isinstance(exc, PykindError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def step_error(step: CreateStep, exc: BaseException) -> StepError:
    """``exc`` (raised by ``step``) as a StepError that names the step."""
    return StepError(step.name, f'create step "{step.name}" failed: {_describe(exc)}')


def _cleanup(pm: PykindPluginManager, ctx: StepContext, error: BaseException) -> None:
    """Delete whatever was created. A cleanup failure must not hide the original error: it
    is added to that error's message (when it is pykind's own)."""
    try:
        delete_cluster(pm, ctx.provider, ctx.config.name, kubeconfig=ctx.kubeconfig)
    except Exception as exc:
        note = f"cleanup of cluster {ctx.config.name!r} failed too: {exc}"
        ctx.warnings.append(note)
        if isinstance(error, PykindError) and len(error.args) == 1:
            error.args = (f"{error.args[0]}\n({note})",)


def _lost_name(exc: BaseException) -> ClusterExistsError | None:
    """The ClusterExistsError a step (provisioning) raised when another run claimed the
    cluster's name between :func:`ensure_absent` and the creation of its containers."""
    if isinstance(exc, ClusterExistsError):
        return exc
    if isinstance(exc, StepError) and isinstance(exc.__cause__, ClusterExistsError):
        return exc.__cause__
    return None


def run_steps(pm: PykindPluginManager, ctx: StepContext, steps: list[CreateStep]) -> None:
    """Run ``steps`` in order through ``pykind_run_step``; StepError on the first failure."""
    for step in steps:
        if step.skip_if(ctx.config):
            continue
        try:
            pm.hook.pykind_run_step(step=step, ctx=ctx)
        except StepError:
            raise
        except Exception as exc:
            raise step_error(step, exc) from exc


def create_cluster(
    pm: PykindPluginManager,
    provider: NodeProvider,
    config: ClusterConfig,
    *,
    config_dir: Path | None = None,
    kubeconfig: Path | str | None = None,
    retain: bool = False,
    wait: float = 0.0,
    strict_patches: bool = False,
    addons: Mapping[str, Any] | None = None,
    status: Status = NULL_STATUS,
    cni: str = DEFAULT_CNI,
) -> CreateResult:
    """Create the cluster described by ``config`` with ``provider``.

    Raises ClusterExistsError before creating anything when the name is taken, and StepError
    when a step fails (after deleting what was created, unless ``retain``).
    """
    config = config.with_defaults()
    validate_provider(provider)
    ensure_absent(provider, config.name)
    resolve_cni(pm, cni)
    chosen = validate_addons(pm, addons)
    config = prepare_addons(pm, config, chosen)
    ctx = StepContext(
        config=config,
        provider=provider,
        pm=pm,
        status=status,
        config_dir=config_dir,
        kubeconfig=Path(kubeconfig) if kubeconfig is not None else None,
        wait=wait,
        strict_patches=strict_patches,
        cni=cni,
        addons=dict(chosen),
    )
    if len(config.name) > CLUSTER_NAME_MAX:
        ctx.warn(
            f"cluster name {config.name!r} is probably too long, "
            "this might not work properly on some systems"
        )
    steps = pm.create_steps()
    pm.hook.pykind_modify_create_steps(steps=steps, config=config)
    try:
        run_steps(pm, ctx, steps)
    except BaseException as exc:
        lost = _lost_name(exc)
        if lost is not None:
            # another run holds the name: everything carrying it is theirs, delete nothing
            raise lost from None
        if not retain:
            _cleanup(pm, ctx, exc)
        raise
    pm.hook.pykind_cluster_created(ctx=ctx)
    path = ctx.data.get(PATH_KEY)
    return CreateResult(
        name=config.name,
        kubeconfig_path=Path(path) if path is not None else None,
        context=f"kind-{config.name}",
        warnings=tuple(ctx.warnings),
        kubeconfig_note=str(ctx.data.get(NOTE_KEY) or ""),
        data=dict(ctx.data),
    )
