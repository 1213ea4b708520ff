"""Hook specifications: everything a pykind plugin can implement.

Grouped as pytest does: registration, runtime, networking, bootstrap, add-ons, lifecycle, CLI.
Call hooks with keyword arguments only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pykind.plugin import hookspec

if TYPE_CHECKING:
    import click

    from pykind.cluster.context import StepContext
    from pykind.config.models import ClusterConfig
    from pykind.config.models import Node as NodeConfig
    from pykind.plugin.manager import PykindPluginManager
    from pykind.plugin.types import AddonSpec, CNISpec, CreateStep, NodeProviderSpec
    from pykind.runtime.protocols import Node


# ---------------------------------------------------------------- lifecycle (plugin manager)
@hookspec(historic=True)
def pykind_configure(pm: PykindPluginManager) -> None:
    """Called once when the plugin manager is ready; replayed to plugins registered later.

    **Example**::

        @pykind.hookimpl
        def pykind_configure(pm):
            pm.trace.root.setwriter(print)
    """


# ---------------------------------------------------------------- node runtime
@hookspec
def pykind_node_providers() -> Iterable[NodeProviderSpec]:
    """Register node runtimes (docker, podman, ...).

    **Example**::

        @pykind.hookimpl
        def pykind_node_providers():
            yield NodeProviderSpec(name="nerdctl", factory=NerdctlProvider,
                                   is_available=nerdctl_available, priority=30)
    """
    raise NotImplementedError


# ---------------------------------------------------------------- networking
@hookspec(firstresult=True)
def pykind_network_name(provider: str) -> str | None:
    """Name of the bridge network nodes join on ``provider``. First non-None wins.

    The default is ``kind``, or ``KIND_EXPERIMENTAL_DOCKER_NETWORK`` /
    ``KIND_EXPERIMENTAL_PODMAN_NETWORK`` when set.

    **Example**::

        @pykind.hookimpl
        def pykind_network_name(provider):
            return "ci-kind" if provider == "docker" else None
    """
    raise NotImplementedError


@hookspec
def pykind_cni_plugins() -> Iterable[CNISpec]:
    """Register CNIs installable instead of the default kindnet (pick with ``--cni NAME``).

    **Example**::

        @pykind.hookimpl
        def pykind_cni_plugins():
            yield CNISpec(name="calico", install=install_calico)
    """
    raise NotImplementedError


# ---------------------------------------------------------------- bootstrap
@hookspec
def pykind_create_steps() -> Iterable[CreateStep]:
    """Register create steps. Steps run sorted by phase, then in registration order.

    **Example**::

        @pykind.hookimpl
        def pykind_create_steps():
            yield CreateStep(name="sysctl", phase=Phase.KUBEADM_CONFIG, run=raise_inotify)
    """
    raise NotImplementedError


@hookspec
def pykind_modify_create_steps(steps: list[CreateStep], config: ClusterConfig) -> None:
    """Edit the ordered step list in place (remove, reorder or replace steps).

    **Example**::

        @pykind.hookimpl
        def pykind_modify_create_steps(steps, config):
            steps[:] = [s for s in steps if s.name != "storage"]
    """


@hookspec(firstresult=True)
def pykind_run_step(step: CreateStep, ctx: StepContext) -> bool | None:
    """Run one create step; first non-None result stops. Core's implementation is
    ``trylast``; wrap it with ``@pykind.hookimpl(wrapper=True)`` to time or trace steps.

    **Example**::

        @pykind.hookimpl(wrapper=True)
        def pykind_run_step(step, ctx):
            started = time.monotonic()
            result = yield
            print(step.name, time.monotonic() - started)
            return result
    """
    raise NotImplementedError


@hookspec
def pykind_kubeadm_config_patches(config: ClusterConfig, node: NodeConfig) -> Iterable[str]:
    """Extra kubeadm merge patches (YAML strings) applied after the user's own.

    **Example**::

        @pykind.hookimpl
        def pykind_kubeadm_config_patches(config, node):
            yield "kind: KubeletConfiguration\\nmaxPods: 250\\n"
    """
    raise NotImplementedError


# ---------------------------------------------------------------- add-ons
@hookspec
def pykind_addons() -> Iterable[AddonSpec]:
    """Register add-ons (``kind create cluster --addon NAME``).

    **Example**::

        @pykind.hookimpl
        def pykind_addons():
            yield AddonSpec(name="hello", install=install, options_model=HelloOptions,
                            description="says hello")
    """
    raise NotImplementedError


# ---------------------------------------------------------------- cluster events
@hookspec
def pykind_cluster_created(ctx: StepContext) -> None:
    """Called after a cluster was created successfully.

    **Example**::

        @pykind.hookimpl
        def pykind_cluster_created(ctx):
            notify(f"cluster {ctx.config.name} is up")
    """


@hookspec
def pykind_cluster_deleting(name: str, nodes: list[Node]) -> None:
    """Called before a cluster's containers are removed.

    **Example**::

        @pykind.hookimpl
        def pykind_cluster_deleting(name, nodes):
            archive_logs(name, nodes)
    """


# ---------------------------------------------------------------- command line
@hookspec
def pykind_register_commands(cli: click.Group) -> None:
    """Add click commands to the ``kind`` CLI.

    **Example**::

        @pykind.hookimpl
        def pykind_register_commands(cli):
            @cli.command()
            def hello():
                click.echo("hello")
    """
