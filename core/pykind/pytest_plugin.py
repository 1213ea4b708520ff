"""pytest plugin shipped with pykind (entry point ``pytest11``): the ``kind_cluster`` fixture.

::

    import pytest

    @pytest.mark.kind_cluster(config="kind.yaml", addons=["ingress-nginx"])
    def test_app(kind_cluster):
        kind_cluster.load_image("my/app:dev")
        kind_cluster.kubectl("apply", "-f", "deploy.yaml")
        assert "Running" in kind_cluster.kubectl("get", "pods").text

A cluster is created through :class:`~pykind.cluster.manager.ClusterManager` the first time a
test asks for it and deleted when the session ends (``kind_cluster_scope`` shortens that),
unless ``--kind-keep``. Tests asking for the same cluster (same marker arguments) share it.

Settings, command line first, then ini file: ``--kind-image``/``kind_image``,
``--kind-provider``/``kind_provider``, ``kind_config``, ``--kind-keep``/``kind_keep_cluster``,
``--kind-reuse``/``kind_reuse_cluster`` (use an existing cluster of that name and leave it),
``kind_cluster_scope``. Override the ``kind_manager`` fixture to use another provider or
plugin manager.

The plugin is inert until a test uses one of its fixtures: importing it loads pytest and the
standard library only, and nothing talks to a container engine.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from pykind.cluster.manager import ClusterManager
    from pykind.runtime.protocols import CommandResult, Node

MARKER = "kind_cluster"
ScopeName = Literal["session", "package", "module", "class", "function"]
SCOPES: tuple[ScopeName, ...] = ("session", "package", "module", "class", "function")
ADMIN_CONF = "/etc/kubernetes/admin.conf"
_KEPT = pytest.StashKey[list[str]]()


# ---------------------------------------------------------------------------- options
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kind", "kind clusters (pykind)")
    group.addoption("--kind-image", default=None, help="node image of kind_cluster clusters")
    group.addoption(
        "--kind-provider", default=None, help="node provider: docker or podman (default: auto)"
    )
    group.addoption(
        "--kind-keep",
        action="store_true",
        default=None,
        help="keep kind_cluster clusters after the session",
    )
    group.addoption(
        "--kind-reuse",
        action="store_true",
        default=None,
        help="use an existing cluster of the same name instead of creating one (and keep it)",
    )
    parser.addini("kind_image", "node image of kind_cluster clusters", default="")
    parser.addini("kind_config", "default kind config file of kind_cluster clusters", default="")
    parser.addini("kind_provider", "node provider (docker or podman)", default="")
    parser.addini(
        "kind_keep_cluster", "keep clusters after the session", type="bool", default=False
    )
    parser.addini(
        "kind_reuse_cluster",
        "reuse an existing cluster of the same name",
        type="bool",
        default=False,
    )
    parser.addini(
        "kind_cluster_scope",
        "lifetime of kind_cluster clusters: session (default), package, module, class, function",
        default="session",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(config=None, image=None, addons=None, name=None): the kind cluster this test "
        "gets from the kind_cluster fixture (config: file path, dict or ClusterConfig; addons: "
        "names or {name: options})",
    )
    config.stash[_KEPT] = []


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    kept = config.stash.get(_KEPT, [])
    if kept:
        terminalreporter.section("kind clusters kept")
        for line in kept:
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class Settings:
    image: str | None
    config: str | None
    provider: str | None
    keep: bool
    reuse: bool
    config_dir: Path

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> Settings:
        def pick(option: str, ini: str) -> Any:
            value = config.getoption(option)
            return value if value not in (None, "") else (config.getini(ini) or None)

        base = config.inipath.parent if config.inipath is not None else config.rootpath
        return cls(
            image=pick("kind_image", "kind_image"),
            config=config.getini("kind_config") or None,
            provider=pick("kind_provider", "kind_provider"),
            keep=bool(pick("kind_keep", "kind_keep_cluster")),
            reuse=bool(pick("kind_reuse", "kind_reuse_cluster")),
            config_dir=Path(base),
        )


def _scope(fixture_name: str, config: pytest.Config) -> ScopeName:
    scope = str(config.getini("kind_cluster_scope") or "session").strip().lower()
    for known in SCOPES:
        if scope == known:
            return known
    raise pytest.UsageError(f"kind_cluster_scope must be one of {', '.join(SCOPES)}, not {scope!r}")


# ---------------------------------------------------------------------------- the handle
@dataclass
class KindCluster:
    """A running cluster handed to tests."""

    name: str
    kubeconfig_path: Path
    manager: ClusterManager = field(repr=False)
    #: Whether the plugin created it (and so deletes it unless keep).
    created: bool = True

    @property
    def context(self) -> str:
        return f"kind-{self.name}"

    def nodes(self) -> list[Node]:
        return self.manager.list_nodes(self.name)

    def load_image(self, *images: str, nodes: Sequence[str] | None = None) -> Any:
        """Load images from the host engine into the nodes (``kind load docker-image``)."""
        return self.manager.load_images(images, name=self.name, nodes=nodes)

    def kubectl(
        self,
        *args: str,
        stdin: bytes | str | None = None,
        check: bool = True,
        where: str = "node",
    ) -> CommandResult:
        """Run kubectl: in the bootstrap control plane with the admin kubeconfig
        (``where="node"``, the default: always the cluster's own version), with the host's
        kubectl and this cluster's kubeconfig (``"host"``), or the host's when it has one
        (``"auto"``). ``check`` raises NodeCommandError on a non-zero exit."""
        data = stdin.encode() if isinstance(stdin, str) else stdin
        if where == "host" or (where == "auto" and shutil.which("kubectl")):
            return self._host_kubectl(list(args), data, check)
        if where not in ("node", "auto"):
            raise ValueError(f"where must be node, host or auto, not {where!r}")
        from pykind.cluster.nodes import bootstrap_control_plane

        node = bootstrap_control_plane(self.nodes())
        return node.run(["kubectl", f"--kubeconfig={ADMIN_CONF}", *args], stdin=data, check=check)

    def _host_kubectl(self, args: list[str], stdin: bytes | None, check: bool) -> CommandResult:
        from pykind.errors import NodeCommandError
        from pykind.runtime.protocols import CommandResult

        binary = shutil.which("kubectl")
        if binary is None:
            raise FileNotFoundError("kubectl is not installed on this machine")
        argv = [
            binary,
            f"--kubeconfig={self.kubeconfig_path}",
            f"--context={self.context}",
            *args,
        ]
        done = subprocess.run(argv, input=stdin, capture_output=True, check=False)
        if check and done.returncode != 0:
            raise NodeCommandError(argv, done.returncode, done.stdout, done.stderr)
        return CommandResult(tuple(argv), done.returncode, done.stdout, done.stderr)


# ---------------------------------------------------------------------------- the pool
@dataclass(frozen=True)
class ClusterRequest:
    """What a test asked for (marker arguments merged with the settings)."""

    name: str | None
    config: Any
    image: str | None
    addons: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_marker(cls, marker: pytest.Mark | None, settings: Settings) -> ClusterRequest:
        if marker is not None and marker.args:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes keyword arguments only: config=, image=, "
                "addons=, name="
            )
        return cls.from_kwargs(dict(marker.kwargs) if marker is not None else {}, settings)

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any], settings: Settings) -> ClusterRequest:
        unknown = set(kwargs) - {"config", "image", "addons", "name"}
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes only config=, image=, addons=, name= "
                f"(got {', '.join(sorted(unknown))})"
            )
        raw_addons = kwargs.get("addons") or {}
        if isinstance(raw_addons, Mapping):
            addons = {str(k): dict(v or {}) for k, v in raw_addons.items()}
        else:
            addons = {str(name): {} for name in raw_addons}
        config = kwargs.get("config", settings.config)
        if isinstance(config, str | Path) and not Path(config).is_absolute():
            config = settings.config_dir / config
        return cls(
            name=kwargs.get("name"),
            config=config,
            image=kwargs.get("image") or settings.image,
            addons=addons,
        )

    def key(self) -> str:
        return repr((self.config, self.image, sorted(self.addons.items())))


class KindClusterPool:
    """Clusters of one fixture scope, created on first request and deleted at its end."""

    def __init__(self, manager: ClusterManager, settings: Settings, folder: Path) -> None:
        self.manager = manager
        self.settings = settings
        self.folder = folder
        self._clusters: dict[str, tuple[str, KindCluster]] = {}
        self._stem = "pytest-kind" if settings.reuse else f"pytest-{secrets.token_hex(3)}"
        self.kept: list[str] = []

    def _default_name(self) -> str:
        taken = {name for name in self._clusters}
        if self._stem not in taken:
            return self._stem
        index = 2
        while f"{self._stem}-{index}" in taken:
            index += 1
        return f"{self._stem}-{index}"

    def cluster(self, **kwargs: Any) -> KindCluster:
        """The cluster for the marker arguments ``kwargs`` (for fixtures of any scope)::

        @pytest.fixture(scope="session")
        def app(kind_clusters):
            cluster = kind_clusters.cluster(config="kind.yaml")
            cluster.kubectl("apply", "-f", "app.yaml")
            return cluster
        """
        return self.get(ClusterRequest.from_kwargs(kwargs, self.settings))

    def get(self, request: ClusterRequest) -> KindCluster:
        key = request.key()
        if request.name is None:
            for key_of, cluster in self._clusters.values():
                if key_of == key:
                    return cluster
            name = self._default_name()
        else:
            name = request.name
            if name in self._clusters:
                key_of, cluster = self._clusters[name]
                if key_of != key:
                    raise pytest.UsageError(
                        f"kind cluster {name!r} is requested with different settings by "
                        "two tests; give them different names"
                    )
                return cluster
        cluster = self._create(name, request)
        self._clusters[name] = (key, cluster)
        return cluster

    def _create(self, name: str, request: ClusterRequest) -> KindCluster:
        kubeconfig = self.folder / f"{name}.kubeconfig"
        if name in self.manager.list_clusters():
            if not self.settings.reuse:
                raise pytest.UsageError(
                    f"a kind cluster named {name!r} already exists: delete it, or pass "
                    "--kind-reuse (ini kind_reuse_cluster) to use it"
                )
            self.manager.export_kubeconfig(name, kubeconfig=kubeconfig)
            return KindCluster(name, kubeconfig, self.manager, created=False)
        result = self.manager.create(
            name,
            config=_as_config(request.config),
            image=request.image,
            kubeconfig=kubeconfig,
            addons=request.addons or None,
        )
        path = result.kubeconfig_path or kubeconfig
        return KindCluster(name, Path(path), self.manager, created=True)

    def close(self) -> None:
        errors = []
        for _, cluster in self._clusters.values():
            if not cluster.created or self.settings.keep:
                self.kept.append(f"{cluster.name} (kubeconfig: {cluster.kubeconfig_path})")
                continue
            try:
                self.manager.delete(cluster.name, kubeconfig=cluster.kubeconfig_path)
            except Exception as exc:
                errors.append(f"{cluster.name}: {exc}")
        self._clusters.clear()
        if errors:
            raise RuntimeError("could not delete kind clusters: " + "; ".join(errors))


def _as_config(value: Any) -> Any:
    """Marker ``config=`` as the manager takes it: a path, a ClusterConfig, or a dict."""
    if isinstance(value, Mapping):
        from pykind.config.models import ClusterConfig

        return ClusterConfig.model_validate(dict(value))
    return value


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def kind_manager(pytestconfig: pytest.Config) -> ClusterManager:
    """The ClusterManager clusters are created with (override to choose a provider)."""
    from pykind.cluster.manager import ClusterManager

    return ClusterManager(Settings.from_pytest(pytestconfig).provider)


@pytest.fixture(scope=_scope)
def kind_clusters(
    kind_manager: ClusterManager,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[KindClusterPool]:
    """The pool behind ``kind_cluster``; ``kind_clusters.cluster(config=...)`` gives a
    cluster to fixtures of any scope."""
    pool = KindClusterPool(
        kind_manager, Settings.from_pytest(pytestconfig), tmp_path_factory.mktemp("kind")
    )
    try:
        yield pool
    finally:
        try:
            pool.close()
        finally:
            pytestconfig.stash.setdefault(_KEPT, []).extend(pool.kept)


@pytest.fixture
def kind_cluster(request: pytest.FixtureRequest, kind_clusters: KindClusterPool) -> KindCluster:
    """A running kind cluster, as the test's ``@pytest.mark.kind_cluster(...)`` asks."""
    marker = request.node.get_closest_marker(MARKER)
    return kind_clusters.get(ClusterRequest.from_marker(marker, kind_clusters.settings))
