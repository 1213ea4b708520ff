"""The embedding API: :class:`ClusterManager` (upstream's ``cluster.Provider``)::

from pykind import ClusterManager

manager = ClusterManager(provider="docker")
result = manager.create("dev", config="kind.yaml", wait=60)
print(result.kubeconfig_path, result.context)
manager.delete("dev")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pykind.cluster.create import CreateResult, create_cluster
from pykind.cluster.delete import delete_cluster
from pykind.cluster.nodes import ADMIN_CONF, bootstrap_control_plane, read_file
from pykind.cluster.steps.cni import DEFAULT_CNI
from pykind.config.models import DEFAULT_CLUSTER_NAME, ClusterConfig
from pykind.errors import ClusterNotFoundError
from pykind.plugin.manager import PykindPluginManager, get_plugin_manager
from pykind.runtime.protocols import Node, NodeProvider
from pykind.status import NULL_STATUS, Status

if TYPE_CHECKING:
    from pykind.images.load import LoadReport


class ClusterManager:
    """Create, inspect and delete clusters from Python.

    ``provider`` is a registered provider name, a :class:`NodeProvider`, or None to pick one
    as the CLI does (``KIND_EXPERIMENTAL_PROVIDER``, then auto-detection). It is resolved on
    first use.
    """

    def __init__(
        self,
        provider: str | NodeProvider | None = None,
        *,
        plugin_manager: PykindPluginManager | None = None,
        status: Status | None = None,
    ) -> None:
        self._provider_choice = provider
        self._provider: NodeProvider | None = (
            provider if provider is not None and not isinstance(provider, str) else None
        )
        self._pm = plugin_manager
        self.status: Status = status or NULL_STATUS

    # ------------------------------------------------------------------ plumbing
    @property
    def plugin_manager(self) -> PykindPluginManager:
        if self._pm is None:
            self._pm = get_plugin_manager()
        return self._pm

    @property
    def provider(self) -> NodeProvider:
        if self._provider is None:
            choice = self._provider_choice if isinstance(self._provider_choice, str) else None
            self._provider = self.plugin_manager.get_node_provider(choice)
        return self._provider

    # ------------------------------------------------------------------ create / delete
    def create(
        self,
        name: str | None = None,
        *,
        config: ClusterConfig | str | Path | None = None,
        image: str | None = None,
        retain: bool = False,
        wait: float = 0,
        kubeconfig: str | Path | None = None,
        addons: Mapping[str, Mapping[str, Any]] | None = None,
        strict_patches: bool = False,
        cni: str = DEFAULT_CNI,
    ) -> CreateResult:
        """Create a cluster. ``config`` is a model, a config file path, or None (one
        control plane); ``name`` and ``image`` override the config's, as upstream."""
        cfg, config_dir, warnings = self._load(config, name=name, image=image)
        for warning in warnings:  # now, not only after success (an exposed API server)
            self.status.info(f"WARNING: {warning}")
        result = create_cluster(
            self.plugin_manager,
            self.provider,
            cfg,
            config_dir=config_dir,
            kubeconfig=kubeconfig,
            retain=retain,
            wait=wait,
            strict_patches=strict_patches,
            addons=addons,
            status=self.status,
            cni=cni,
        )
        if not warnings:
            return result
        return CreateResult(
            name=result.name,
            kubeconfig_path=result.kubeconfig_path,
            context=result.context,
            warnings=(*warnings, *result.warnings),
            kubeconfig_note=result.kubeconfig_note,
            data=result.data,
        )

    def delete(
        self, name: str = DEFAULT_CLUSTER_NAME, *, kubeconfig: str | Path | None = None
    ) -> list[str]:
        """Delete a cluster; the names of the deleted nodes ([] when it had none)."""
        return delete_cluster(self.plugin_manager, self.provider, name, kubeconfig=kubeconfig)

    def delete_all(self, *, kubeconfig: str | Path | None = None) -> list[str]:
        """Delete every cluster; their names."""
        names = self.list_clusters()
        for name in names:
            self.delete(name, kubeconfig=kubeconfig)
        return names

    # ------------------------------------------------------------------ inspect
    def list_clusters(self) -> list[str]:
        return self.provider.list_clusters()

    def list_nodes(self, name: str = DEFAULT_CLUSTER_NAME) -> list[Node]:
        return self.provider.list_nodes(name)

    def _admin_conf(self, name: str) -> str:
        nodes = self.provider.list_nodes(name)
        if not nodes:
            raise ClusterNotFoundError(
                f'could not locate any control plane nodes for cluster named "{name}"'
            )
        return read_file(bootstrap_control_plane(nodes), ADMIN_CONF)

    def _endpoint(self, name: str, internal: bool) -> str | None:
        """The API server ``host:port`` to put in a kubeconfig; None keeps kubeadm's own
        (the address on the cluster network, as upstream's ``--internal``)."""
        return None if internal else self.provider.api_server_endpoint(name)

    def kubeconfig(self, name: str = DEFAULT_CLUSTER_NAME, *, internal: bool = False) -> str:
        """The cluster's kubeconfig text (``kind get kubeconfig``); ``internal`` points at
        the API server's address on the cluster network instead of the host's."""
        from pykind import kubeconfig as kc

        admin = self._admin_conf(name)
        return str(kc.get_cluster_entries(admin, name, endpoint=self._endpoint(name, internal)))

    def export_kubeconfig(
        self,
        name: str = DEFAULT_CLUSTER_NAME,
        *,
        internal: bool = False,
        kubeconfig: str | Path | None = None,
    ) -> Path:
        """Merge the cluster's entries into the kubeconfig file (``kind export kubeconfig``)."""
        from pykind import kubeconfig as kc

        admin = self._admin_conf(name)
        target = kc.resolve_target(kubeconfig)
        entries = kc.build_entries(admin, name, endpoint=self._endpoint(name, internal))
        return Path(kc.write_cluster(target, entries))

    # ------------------------------------------------------------------ images, logs, build
    def load_images(
        self,
        images: Iterable[str],
        *,
        name: str = DEFAULT_CLUSTER_NAME,
        nodes: Sequence[str] | None = None,
    ) -> LoadReport:
        """Load images from the provider's engine into the nodes (``kind load docker-image``)."""
        from pykind.images.load import load_images

        return load_images(self.provider, name, list(images), nodes=nodes, status=self.status)

    def load_archives(
        self,
        paths: Iterable[str | Path],
        *,
        name: str = DEFAULT_CLUSTER_NAME,
        nodes: Sequence[str] | None = None,
    ) -> LoadReport:
        """Load image archives into the nodes (``kind load image-archive``)."""
        from pykind.images.load import load_archives

        return load_archives(
            self.provider, name, [Path(p) for p in paths], nodes=nodes, status=self.status
        )

    def load_any(
        self,
        refs: Iterable[str],
        *,
        name: str = DEFAULT_CLUSTER_NAME,
        nodes: Sequence[str] | None = None,
    ) -> LoadReport:
        """Load images found in any engine, or image archives (``kind load image``)."""
        from pykind.images.load import load_any, other_engines

        return load_any(
            self.provider,
            name,
            list(refs),
            nodes=nodes,
            status=self.status,
            other_sources=other_engines(self.provider, self.plugin_manager),
        )

    def collect_logs(
        self, name: str = DEFAULT_CLUSTER_NAME, dest: str | Path | None = None
    ) -> Path:
        """Write the cluster's logs under ``dest`` (``kind export logs``); the folder."""
        from pykind.logs.collect import collect_logs

        return collect_logs(self.provider, name, dest, status=self.status)

    def build_node_image(self, **kwargs: Any) -> str:
        """Build a node image (``kind build node-image``); its tag. Keyword arguments as
        :func:`pykind.build.node_image.build_node_image`."""
        from pykind.build.node_image import build_node_image

        kwargs.setdefault("status", self.status)
        return build_node_image(self.provider, **kwargs)

    # ------------------------------------------------------------------ lifecycle
    def add_node(
        self,
        name: str = DEFAULT_CLUSTER_NAME,
        *,
        role: str = "worker",
        image: str | None = None,
        labels: Mapping[str, str] | None = None,
        config: ClusterConfig | str | Path | None = None,
        wait: float = 0,
        retain: bool = False,
    ) -> Any:
        """Add a node to cluster ``name`` (``kind add node``); an ``AddNodeResult``."""
        from pykind.lifecycle import add_node

        cfg = self._load(config, name=name, image=None)[0] if config is not None else None
        return add_node(
            self.provider,
            name,
            role=role,
            image=image,
            labels=labels,
            config=cfg,
            wait=wait,
            retain=retain,
            status=self.status,
            plugin_manager=self.plugin_manager,
        )

    def remove_node(self, node: str, *, name: str | None = None, force: bool = False) -> Any:
        """Drain and remove ``node`` (``kind remove node``); a ``RemoveNodeResult``."""
        from pykind.lifecycle import remove_node

        return remove_node(self.provider, node, cluster=name, force=force, status=self.status)

    def stop(self, name: str = DEFAULT_CLUSTER_NAME, *, timeout: int = 30) -> Any:
        """Stop the cluster's containers (``kind stop``); a ``PowerResult``."""
        from pykind.lifecycle import stop_cluster

        return stop_cluster(self.provider, name, timeout=timeout, status=self.status)

    def start(self, name: str = DEFAULT_CLUSTER_NAME, *, wait: float = 0) -> Any:
        """Start the cluster's containers again (``kind start``); a ``PowerResult``."""
        from pykind.lifecycle import start_cluster

        return start_cluster(self.provider, name, wait=wait, status=self.status)

    def doctor(
        self, config: ClusterConfig | str | Path | None = None, *, privileged: bool = True
    ) -> list[Any]:
        """Preflight checks (``kind doctor``); a list of ``CheckResult``."""
        from pykind.doctor import run_checks

        return list(run_checks(self.provider, config, privileged=privileged))

    # ------------------------------------------------------------------ config
    def _load(
        self, config: ClusterConfig | str | Path | None, *, name: str | None, image: str | None
    ) -> tuple[ClusterConfig, Path | None, list[str]]:
        """Read/validate the config and apply the name and image overrides (the caller's
        model is never modified)."""
        from pykind.config.loader import load_config, prepare_config

        if isinstance(config, (str, Path)):
            loaded = load_config(config, name=name, image=image)
        else:
            loaded = prepare_config(config, name=name, image=image)
        return loaded.config, loaded.config_dir, list(loaded.warnings)
