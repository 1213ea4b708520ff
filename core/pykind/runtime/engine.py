"""What the docker and podman node providers share: upstream kind's container plan, the
parallel provisioning and boot wait, label-based listing, endpoints, logs and exec.

:class:`EngineProvider` talks to an engine SDK client through the surface the ``docker`` and
``podman`` SDKs have in common (``client.containers.list/get``, ``container.attrs/logs/remove``,
``client.images.get``), duck-typed. Subclasses own the rest: connecting, creating networks and
containers, images, engine facts and the translation of SDK exceptions into
:mod:`pykind.errors`. SDKs are imported lazily, inside subclass methods, never at import time.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from pykind.config.models import ClusterConfig, IPFamily, MountPropagation
from pykind.errors import (
    ClusterExistsError,
    ClusterNotFoundError,
    ConfigError,
    NodeCommandError,
    ProviderError,
    ProviderUnavailableError,
    PykindError,
)
from pykind.runtime.engine_exec import CHUNK, exec_stream
from pykind.runtime.engine_logs import follow_log_until
from pykind.runtime.engine_net import free_port, join_host_port, network_lock
from pykind.runtime.labels import CLUSTER_LABEL, ROLE_LABEL
from pykind.runtime.protocols import (
    ROLE_CONTROL_PLANE,
    ROLE_LOAD_BALANCER,
    CommandResult,
    Node,
    NodeSpec,
    ProviderInfo,
    ProvisionPlan,
    Stdin,
)
from pykind.status import NULL_STATUS, Status, step

log = logging.getLogger(__name__)

#: The API server's port inside control-plane and load-balancer containers.
API_SERVER_INTERNAL_PORT = 6443
DEFAULT_NETWORK = "kind"
#: Upstream's "node is ready for exec" log pattern (systemd multi-user target, or the kind
#: entrypoint reporting cgroup v1).
BOOT_PATTERN = re.compile(rb"Reached target .*Multi-User System.*|detected cgroup v1")
#: Seconds upstream waits for that pattern.
DEFAULT_BOOT_TIMEOUT = 30.0
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
#: Docker Desktop's label that overrides the published API server address (a label domain,
#: not an image registry; assembled so the project keeps no registry-like host strings).
DESKTOP_PORT_LABEL = (
    ".".join(("desktop", "docker", "io")) + f"/ports/{API_SERVER_INTERNAL_PORT}/tcp"
)
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
_PROPAGATION = {
    MountPropagation.NONE: None,
    MountPropagation.HOST_TO_CONTAINER: "rslave",
    MountPropagation.BIDIRECTIONAL: "rshared",
}


def error_text(exc: BaseException) -> str:
    """An SDK exception's message: its ``explanation`` (the engine's own words) if it has one."""
    text = getattr(exc, "explanation", None) or str(exc)
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


# ---------------------------------------------------------------- the engine-neutral plan
@dataclass(frozen=True, slots=True)
class PortBinding:
    """``--publish host_ip:host_port:container_port/protocol`` (protocol in lower case)."""

    host_ip: str
    host_port: int
    container_port: int
    protocol: str = "tcp"


@dataclass(frozen=True, slots=True)
class BindMount:
    """``--volume source:target[:options]``; options among ``ro``, ``Z``, ``rshared``,
    ``rslave``."""

    source: str
    target: str
    options: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        base = f"{self.source}:{self.target}"
        return f"{base}:{','.join(self.options)}" if self.options else base


@dataclass(frozen=True, slots=True)
class ContainerRequest:
    """One ``docker run`` of upstream kind, minus what each engine adds on its own
    (restart policy, init, cgroup namespace, image name quirks)."""

    name: str
    role: str
    image: str
    network: str
    labels: Mapping[str, str]
    env: Mapping[str, str]
    ports: tuple[PortBinding, ...] = ()
    binds: tuple[BindMount, ...] = ()
    sysctls: Mapping[str, str] = field(default_factory=dict)
    devices: tuple[str, ...] = ()
    #: Node containers are privileged with tmpfs /tmp and /run and a volume on /var;
    #: the load balancer is none of these.
    node: bool = True
    #: Wait for systemd to boot after start (nodes only, not the load balancer).
    wait_for_boot: bool = True

    @property
    def hostname(self) -> str:
        return self.name


def _mount_field(plan: ProvisionPlan, spec: NodeSpec, index: int) -> str:
    nodes = plan.config.nodes
    pos = next((i for i, n in enumerate(nodes) if n is spec.config), None)
    where = f"nodes[{pos}]" if pos is not None else spec.name
    return f"{where}.extraMounts[{index}].hostPath"


def resolve_mounts(plan: ProvisionPlan) -> dict[str, tuple[BindMount, ...]]:
    """Each node's ``extraMounts`` as binds: relative host paths resolved against
    ``plan.config_dir`` (else the working directory); a missing host path is a ConfigError."""
    base = Path(plan.config_dir) if plan.config_dir else Path.cwd()
    out: dict[str, tuple[BindMount, ...]] = {}
    for spec in plan.nodes:
        binds = []
        for i, mount in enumerate(spec.config.extra_mounts if spec.config else ()):
            host = Path(mount.host_path)
            host = host if host.is_absolute() else base / host
            host = Path(os.path.abspath(host))
            if not host.exists():
                raise ConfigError(
                    f"host path {str(host)!r} does not exist", field=_mount_field(plan, spec, i)
                )
            # a bind is "source:target[:options]" to the engine: a colon would be misread
            for path, name in ((str(host), "hostPath"), (mount.container_path, "containerPath")):
                if ":" in path:
                    raise ConfigError(
                        f"{path!r} contains ':', which the container engine cannot mount",
                        field=_mount_field(plan, spec, i).rsplit(".", 1)[0] + f".{name}",
                    )
            opts = []
            if mount.read_only:
                opts.append("ro")
            if mount.selinux_relabel:
                opts.append("Z")
            propagation = _PROPAGATION.get(mount.propagation)
            if propagation:
                opts.append(propagation)
            binds.append(BindMount(str(host), mount.container_path, tuple(opts)))
        out[spec.name] = tuple(binds)
    return out


def _claim_request(cluster: str, requests: Sequence[ContainerRequest]) -> ContainerRequest:
    """The container that claims the cluster's name: the first control plane (every plan of
    a cluster name has ``<name>-control-plane``), else the first container."""
    first = f"{cluster}-{ROLE_CONTROL_PLANE}"
    return next((r for r in requests if r.name == first), requests[0])


def _wait_uninterrupted(futures: Sequence[Future[None]]) -> ClusterExistsError | None:
    """Wait for ``futures`` even through further interrupts; the ClusterExistsError one of
    them raised, if any."""
    while True:
        try:
            wait(futures)
            break
        except KeyboardInterrupt:
            continue
    for future in futures:
        if not future.cancelled() and isinstance(future.exception(), ClusterExistsError):
            return future.exception()  # type: ignore[return-value]
    return None


def _loopback(family: IPFamily) -> str:
    return "::1" if family == IPFamily.IPV6 else "127.0.0.1"


def _has_ipv6(config: ClusterConfig) -> bool:
    return config.networking.ip_family in (IPFamily.IPV6, IPFamily.DUAL)


# ---------------------------------------------------------------- nodes
class EngineNode:
    """A node container, as returned by :meth:`EngineProvider.list_nodes`."""

    __slots__ = ("_cluster", "_name", "_provider", "_role")

    def __init__(self, provider: EngineProvider, name: str, role: str, cluster: str) -> None:
        self._provider = provider
        self._name = name
        self._role = role
        self._cluster = cluster

    @property
    def name(self) -> str:
        return self._name

    @property
    def role(self) -> str:
        return self._role

    @property
    def cluster(self) -> str:
        return self._cluster

    def __repr__(self) -> str:
        return f"<{self._provider.name} node {self._name} ({self._role})>"

    def ip(self) -> tuple[str, str]:
        return self._provider.node_ips(self._name)

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Stdin | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        code, out, err = self._provider.exec_in(
            self._name, argv, stdin=stdin, env=env, stdout=stdout
        )
        if check and code != 0:
            raise NodeCommandError(argv, code, out, err, node=self._name)
        return CommandResult(tuple(argv), code, out, err)

    def serial_logs(self) -> bytes:
        return self._provider.container_logs(self._name)


# ---------------------------------------------------------------- the provider
class EngineProvider:
    """Base of the docker and podman node providers (upstream's docker/podman providers)."""

    #: Registered provider name.
    name: str = ""
    #: Engine name in messages ("Docker").
    display_name: ClassVar[str] = ""
    #: Environment variable overriding the network name.
    network_env: ClassVar[str] = ""
    #: Value of the ``container`` environment variable in nodes (systemd reads it).
    container_env: ClassVar[str] = ""
    #: Second half of the "engine unreachable" message.
    unavailable_hint: ClassVar[str] = "is the daemon running?"

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        network: str | None = None,
        plugin_manager: Any = None,
        boot_timeout: float = DEFAULT_BOOT_TIMEOUT,
        pull_retries: int = 4,
    ) -> None:
        self._endpoint = endpoint
        self._network = network
        self._pm = plugin_manager
        self.boot_timeout = boot_timeout
        self.pull_retries = pull_retries
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._info: ProviderInfo | None = None
        #: Set when an interrupted provisioning stops waiting for nodes to boot.
        self._aborting = threading.Event()
        self._engine_info_cache: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.endpoint}>"

    # ------------------------------------------------------------ subclass surface
    @classmethod
    def default_endpoint(cls) -> str:
        raise NotImplementedError

    def _connect(self) -> Any:
        """A new SDK client for :attr:`endpoint` (imports the SDK)."""
        raise NotImplementedError

    def _translate(self, exc: BaseException, what: str) -> PykindError | None:
        """The pykind error for an SDK exception raised while ``what``; None to re-raise.

        This base handles what both SDKs share (``requests`` transport errors)."""
        import requests

        if isinstance(exc, requests.exceptions.ConnectionError | ConnectionError):
            return self._unavailable()
        if isinstance(exc, requests.exceptions.RequestException):
            return ProviderError(f"{self.display_name} request failed while {what}: {exc}")
        return None

    def _is_not_found(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def _is_name_conflict(self, exc: BaseException) -> bool:
        """Whether ``exc`` says a container of the requested name exists (HTTP 409)."""
        response = getattr(exc, "response", None)
        code = getattr(exc, "status_code", None) or getattr(response, "status_code", None)
        return code == 409 and "already in use" in str(exc)

    def _ensure_network(self, name: str) -> None:
        """Create network ``name`` unless it exists (called under the network lock)."""
        raise NotImplementedError

    def _network_subnets(self, name: str) -> list[str]:
        raise NotImplementedError

    def _create_container(self, request: ContainerRequest) -> None:
        """Create and start the container described by ``request``."""
        raise NotImplementedError

    def _exec_api(self) -> Any:
        """A Docker-Engine-API client with ``exec_create/exec_start/exec_inspect``."""
        raise NotImplementedError

    def _load_info(self) -> ProviderInfo:
        raise NotImplementedError

    def _engine_proxy_env(self) -> dict[str, str]:
        """Proxy settings the engine itself is configured with (docker info); none by default."""
        return {}

    def _needs_fuse(self) -> bool:
        """Pass ``/dev/fuse`` to nodes (rootless engines, as upstream)."""
        return self.info().rootless

    def _needs_dev_mapper(self) -> bool:
        """Bind ``/dev/mapper`` into nodes (btrfs/zfs/devicemapper/xfs storage, as upstream)."""
        return False

    def _image_ref(self, image: str) -> str:
        """The reference this engine understands for ``image``."""
        return image

    def _after_delete(self, names: Sequence[str]) -> None:
        """Clean-up after containers were removed (podman: their /var volumes)."""

    def image_id(self, image: str) -> str | None:
        raise NotImplementedError

    def pull_image(self, image: str, *, progress: Callable[[str], None] | None = None) -> None:
        raise NotImplementedError

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        raise NotImplementedError

    def _stream(self, response: Any) -> Iterator[bytes]:
        """The body of a streamed HTTP ``response`` in chunks; the response is closed after."""
        try:
            with self._call("streaming saved images"):
                yield from response.iter_content(chunk_size=CHUNK)
        finally:
            response.close()

    # ------------------------------------------------------------ client and errors
    @property
    def endpoint(self) -> str:
        """The engine URL used (``unix:///var/run/docker.sock``)."""
        if self._endpoint is None:
            self._endpoint = self.default_endpoint()
        return self._endpoint

    @property
    def client(self) -> Any:
        """The SDK client, connected on first use."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    with self._call("connecting"):
                        self._client = self._connect()
        return self._client

    def _unavailable(self) -> ProviderUnavailableError:
        return ProviderUnavailableError(
            f"cannot reach {self.display_name} at {self.endpoint}: {self.unavailable_hint}"
        )

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Translate SDK exceptions raised in the block into pykind errors."""
        try:
            yield
        except PykindError:
            raise
        except Exception as exc:
            err = self._translate(exc, what)
            if err is None:
                raise
            raise err from exc

    def _engine_info(self) -> dict[str, Any]:
        """The raw ``info`` document, fetched once."""
        if self._engine_info_cache is None:
            with self._call("reading engine info"):
                self._engine_info_cache = dict(self.client.info())
        return self._engine_info_cache

    def info(self) -> ProviderInfo:
        if self._info is None:
            self._info = self._load_info()
        return self._info

    # ------------------------------------------------------------ network
    def network_name(self) -> str:
        """The bridge network nodes join: the constructor's, else the first answer of the
        ``pykind_network_name`` hook, else ``KIND_EXPERIMENTAL_*_NETWORK``, else ``kind``."""
        if self._network:
            return self._network
        if self._pm is not None:
            named = self._pm.hook.pykind_network_name(provider=self.name)
            if named:
                return str(named)
        return os.environ.get(self.network_env) or DEFAULT_NETWORK

    def ensure_network(self, name: str | None = None) -> str:
        """Create the network (upstream's rules) unless it exists; returns its name.

        Serialised across processes on this host by a file lock, so concurrent creates end
        with exactly one network.
        """
        name = name or self.network_name()
        with network_lock(self.name, self.endpoint, name), self._call(f"creating network {name}"):
            self._ensure_network(name)
        return name

    # ------------------------------------------------------------ provisioning
    def provision(self, plan: ProvisionPlan, status: Status = NULL_STATUS) -> None:
        self._aborting.clear()
        mounts = resolve_mounts(plan)
        network = self.network_name()
        if not self._network and os.environ.get(self.network_env) == network:
            status.info(f"WARNING: Overriding {self.name} network due to {self.network_env}")
            status.info("WARNING: Here be dragons! This is not supported currently.")
        _ = self.client  # connect once, then share the client between the two calls below
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pykind-info") as pool:
            facts = pool.submit(self._prefetch_info)  # engine facts for the plan, meanwhile
            self.ensure_network(network)
            facts.result()
        nodes = sum(1 for n in plan.nodes if n.role != ROLE_LOAD_BALANCER)
        with step(status, "Preparing nodes " + "📦 " * nodes):
            requests = self.plan_containers(plan, network, mounts)
            # The first control plane's name is the cluster's claim: the engine creates at
            # most one container of a name, so of two runs creating the same cluster at once
            # exactly one gets it; the other stops before creating anything and must not
            # clean up (ClusterExistsError), since everything there is the winner's.
            claim = _claim_request(plan.cluster, requests)
            self._run_parallel([functools.partial(self._claim, plan.cluster, claim)])
            tasks = [functools.partial(self._create_node, r) for r in requests if r is not claim]
            if claim.wait_for_boot:
                tasks.insert(0, functools.partial(self.wait_for_boot, claim.name))
            self._run_parallel(tasks)

    def _prefetch_info(self) -> None:
        """Read the engine facts ahead (``docker info`` is slow); a failure is left for the
        code that needs the facts to meet again and report."""
        try:
            self.info()
        except Exception as exc:
            log.debug("reading engine facts ahead failed: %s", exc)

    def plan_containers(
        self,
        plan: ProvisionPlan,
        network: str,
        mounts: Mapping[str, tuple[BindMount, ...]] | None = None,
    ) -> list[ContainerRequest]:
        """The containers of ``plan`` with upstream's run flags (host ports resolved)."""
        cfg = plan.config
        family = cfg.networking.ip_family
        if mounts is None:
            mounts = resolve_mounts(plan)
        names = [n.name for n in plan.nodes]
        env: dict[str, str] = {"container": self.container_env}
        env.update(self._proxy_env(cfg, network, names))
        if cfg.networking.dns_search is not None:
            env["KIND_DNS_SEARCH"] = " ".join(cfg.networking.dns_search)
        snapshotter = os.environ.get("KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER")
        sysctls = (
            {"net.ipv6.conf.all.disable_ipv6": "0", "net.ipv6.conf.all.forwarding": "1"}
            if _has_ipv6(cfg)
            else {}
        )
        devices = ("/dev/fuse",) if self._needs_fuse() else ()
        common_binds = (
            (BindMount("/dev/mapper", "/dev/mapper"),) if self._needs_dev_mapper() else ()
        )
        has_lb = any(n.role == ROLE_LOAD_BALANCER for n in plan.nodes)
        api_address = plan.api_server_address or _loopback(family)

        requests = []
        for spec in plan.nodes:
            labels = {CLUSTER_LABEL: plan.cluster, ROLE_LABEL: spec.role}
            ports: list[PortBinding] = []
            if spec.role == ROLE_LOAD_BALANCER or spec.publish_api_server:
                port = plan.api_server_port or free_port(api_address)
                ports.append(PortBinding(api_address, port, API_SERVER_INTERNAL_PORT))
            elif spec.role == ROLE_CONTROL_PLANE and has_lb:
                # behind a load balancer, control planes publish on loopback, random port
                local = _loopback(family)
                ports.append(PortBinding(local, free_port(local), API_SERVER_INTERNAL_PORT))
            is_node = spec.role != ROLE_LOAD_BALANCER
            node_env = dict(env)
            binds = list(common_binds)
            if is_node:
                if snapshotter is not None:
                    node_env["KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER"] = snapshotter
                if spec.role == ROLE_CONTROL_PLANE:
                    node_env["KUBECONFIG"] = "/etc/kubernetes/admin.conf"
                for pm in spec.config.extra_port_mappings if spec.config else ():
                    listen = pm.listen_address
                    if "listen_address" not in pm.model_fields_set and family == IPFamily.IPV6:
                        listen = "::"
                    host_port = pm.host_port or free_port(listen)
                    ports.append(
                        PortBinding(listen, host_port, pm.container_port, pm.protocol.value.lower())
                    )
                if os.path.isdir("/lib/modules"):
                    binds.append(BindMount("/lib/modules", "/lib/modules", ("ro",)))
                binds.extend(mounts.get(spec.name, ()))
            requests.append(
                ContainerRequest(
                    name=spec.name,
                    role=spec.role,
                    image=spec.image,
                    network=network,
                    labels=labels,
                    env=node_env,
                    ports=tuple(ports),
                    binds=tuple(binds),
                    sysctls=sysctls,
                    devices=devices,
                    node=is_node,
                    wait_for_boot=is_node,
                )
            )
        return requests

    def _proxy_env(self, cfg: ClusterConfig, network: str, names: Sequence[str]) -> dict[str, str]:
        """Upstream's proxy variables: from the environment (else the engine), with the
        cluster subnets, the network subnets, node names and service domains in NO_PROXY."""
        envs: dict[str, str] = {}
        for key in PROXY_VARS:
            value = os.environ.get(key) or os.environ.get(key.lower())
            if value:
                envs[key] = envs[key.lower()] = value
        if not envs:
            envs = self._engine_proxy_env()
        if not envs:
            return {}
        no_proxy = envs.get("NO_PROXY", "")
        no_proxy = (no_proxy + "," if no_proxy else "") + ",".join(
            (cfg.networking.service_subnet, cfg.networking.pod_subnet)
        )
        with self._call(f"inspecting network {network}"):
            subnets = self._network_subnets(network)
        joined = ",".join(
            [*subnets, no_proxy, *names, ".svc", ".svc.cluster", ".svc.cluster.local"]
        )
        envs["NO_PROXY"] = envs["no_proxy"] = joined
        return envs

    def _claim(self, cluster: str, request: ContainerRequest) -> None:
        """Create (and start) ``request``'s container; ClusterExistsError when the engine
        already has a container of that name."""
        with self._call(f"creating node {request.name}"):
            try:
                self._create_container(request)
            except Exception as exc:
                if not self._is_name_conflict(exc):
                    raise
                if request.name == f"{cluster}-{ROLE_CONTROL_PLANE}":
                    message = f'node(s) already exist for a cluster with the name "{cluster}"'
                else:  # adding a node to an existing cluster
                    message = f'a container named "{request.name}" already exists'
                raise ClusterExistsError(message) from exc

    def _create_node(self, request: ContainerRequest) -> None:
        with self._call(f"creating node {request.name}"):
            self._create_container(request)
        if request.wait_for_boot:
            self.wait_for_boot(request.name)

    def _run_parallel(self, tasks: Sequence[Callable[[], None]]) -> None:
        """Run ``tasks`` concurrently, wait for all, raise the first failure (in task order).

        When the caller is interrupted (Ctrl-C, SIGTERM) while waiting, tasks not started
        are cancelled, boot waits stop, and the running ones (an engine request each) are
        waited for before the interrupt goes on: the cleanup that follows then sees every
        container that was created. A task that found the cluster name taken
        (ClusterExistsError) wins over the interrupt, so that cleanup removes nothing.
        """
        if not tasks:
            return
        pool = ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="pykind")
        futures = [pool.submit(task) for task in tasks]
        try:
            wait(futures)
        except BaseException:
            self._aborting.set()
            for future in futures:
                future.cancel()
            lost = _wait_uninterrupted(futures)
            if lost is not None:
                raise lost from None
            raise
        finally:
            pool.shutdown(wait=False)
        for future in futures:
            exc = future.exception()
            if exc is not None:
                raise exc

    def wait_for_boot(self, name: str, timeout: float | None = None) -> None:
        """Wait until the node's log shows systemd reached the multi-user target (upstream's
        check); fail early when the container stops. Raises ProviderError with the log tail."""
        timeout = self.boot_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if self._follow_boot_log(name, deadline):
            return
        while True:
            logs = self.container_logs(name)
            if BOOT_PATTERN.search(logs):
                return
            state = self._inspect(name).get("State") or {}
            status = str(state.get("Status", "")).lower()
            if status in ("exited", "dead", "stopped") and not state.get("Restarting"):
                logs = self.container_logs(name)
                if BOOT_PATTERN.search(logs):
                    return
                reason = f"its container exited with code {state.get('ExitCode')}"
                raise self._boot_error(name, reason, logs)
            if time.monotonic() >= deadline:
                reason = f"systemd did not reach the multi-user target within {timeout:g}s"
                raise self._boot_error(name, reason, logs)
            if self._aborting.wait(0.5):
                raise ProviderError(f"interrupted while waiting for node {name!r} to boot")

    def _follow_boot_log(self, name: str, deadline: float) -> bool:
        """Follow the node's log (``logs -f``, like upstream) until the boot line shows, so the
        boot is seen at once rather than at the next poll. False when the stream ends first or
        cannot be had; :meth:`wait_for_boot` then polls, which also explains failures."""
        try:
            found = follow_log_until(self.endpoint, name, BOOT_PATTERN, deadline, self._aborting)
            return bool(found)
        except Exception as exc:
            log.debug("following the log of %s failed, polling instead: %s", name, exc)
            return False

    @staticmethod
    def _boot_error(name: str, reason: str, logs: bytes, lines: int = 25) -> ProviderError:
        text = _ANSI.sub(b"", logs).replace(b"\r", b"").decode("utf-8", "replace")
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        shown = "\n".join(f"  {line}" for line in tail) if tail else "  (no output)"
        return ProviderError(f"node {name!r} failed to boot: {reason}; last log lines:\n{shown}")

    # ------------------------------------------------------------ listing
    def _list_attrs(self, label: str) -> list[dict[str, Any]]:
        """Summary JSON of all containers (running or not) carrying ``label``."""
        with self._call("listing containers"):
            found = self.client.containers.list(all=True, filters={"label": label}, sparse=True)
            return [dict(c.attrs) for c in found]

    @staticmethod
    def _summary_name(attrs: Mapping[str, Any]) -> str:
        names = attrs.get("Names") or [attrs.get("Name", "")]
        return str(names[0]).lstrip("/")

    @staticmethod
    def _summary_labels(attrs: Mapping[str, Any]) -> dict[str, str]:
        labels = attrs.get("Labels")
        if labels is None:
            labels = (attrs.get("Config") or {}).get("Labels")
        return dict(labels or {})

    def list_clusters(self) -> list[str]:
        clusters = {
            self._summary_labels(a).get(CLUSTER_LABEL, "") for a in self._list_attrs(CLUSTER_LABEL)
        }
        return sorted(c for c in clusters if c)

    def list_nodes(self, cluster: str) -> list[Node]:
        nodes: list[Node] = []
        for attrs in self._list_attrs(f"{CLUSTER_LABEL}={cluster}"):
            role = self._summary_labels(attrs).get(ROLE_LABEL, "")
            nodes.append(EngineNode(self, self._summary_name(attrs), role, cluster))
        return sorted(nodes, key=lambda n: n.name)

    def delete_nodes(self, nodes: Sequence[Node]) -> None:
        names = [n.name for n in nodes]
        self._run_parallel([functools.partial(self._remove_container, n) for n in names])
        if names:
            with self._call("removing node volumes"):
                self._after_delete(names)

    def _remove_container(self, name: str) -> None:
        with self._call(f"removing node {name}"):
            try:
                self.client.containers.get(name).remove(v=True, force=True)
            except Exception as exc:
                if not self._is_not_found(exc):
                    raise

    # ------------------------------------------------------------ per-node operations
    def _inspect(self, name: str) -> dict[str, Any]:
        with self._call(f"inspecting node {name}"):
            return dict(self.client.containers.get(name).attrs)

    def container_logs(self, name: str) -> bytes:
        """The container's console output (stdout and stderr)."""
        with self._call(f"reading logs of node {name}"):
            logs = self.client.containers.get(name).logs(stdout=True, stderr=True)
            if isinstance(logs, bytes | bytearray):
                return bytes(logs)
            return b"".join(logs)

    def node_ips(self, name: str) -> tuple[str, str]:
        """(IPv4, IPv6) of the container on the cluster network (else its first network)."""
        networks = (self._inspect(name).get("NetworkSettings") or {}).get("Networks") or {}
        net = networks.get(self.network_name())
        if net is None and networks:
            net = next(iter(networks.values()))
        net = net or {}
        return str(net.get("IPAddress") or ""), str(net.get("GlobalIPv6Address") or "")

    def exec_in(
        self,
        name: str,
        argv: Sequence[str],
        *,
        stdin: Stdin | None = None,
        env: Mapping[str, str] | None = None,
        stdout: BinaryIO | None = None,
    ) -> tuple[int, bytes, bytes]:
        """Run ``argv`` in container ``name`` like ``docker exec --privileged -i``."""
        if not argv:
            raise ValueError("argv must not be empty")
        with self._call(f"running a command in node {name}"):
            return exec_stream(
                self._exec_api(),
                name,
                argv,
                stdin=stdin,
                env=env,
                stdout=stdout,
                endpoint=self.endpoint,
            )

    # ------------------------------------------------------------ endpoints
    def _api_server_node(self, cluster: str) -> Node:
        """Upstream's ``APIServerEndpointNode``: the load balancer, else the one control plane."""
        nodes = self.list_nodes(cluster)
        if not nodes:
            raise ClusterNotFoundError(f"no nodes found for cluster {cluster!r}")
        lbs = [n for n in nodes if n.role == ROLE_LOAD_BALANCER]
        if lbs:
            return lbs[0]
        cps = [n for n in nodes if n.role == ROLE_CONTROL_PLANE]
        if len(cps) == 1:
            return cps[0]
        if not cps:
            raise ProviderError(f"cluster {cluster!r} has no control-plane node")
        raise ProviderError(
            f"cluster {cluster!r} has {len(cps)} control planes but no external load balancer"
        )

    def api_server_endpoint(self, cluster: str) -> str:
        node = self._api_server_node(cluster)
        attrs = self._inspect(node.name)
        labels = (attrs.get("Config") or {}).get("Labels") or {}
        if labels.get(DESKTOP_PORT_LABEL):
            return str(labels[DESKTOP_PORT_LABEL])
        ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
        for binding in ports.get(f"{API_SERVER_INTERNAL_PORT}/tcp") or ():
            if binding.get("HostPort"):
                return join_host_port(binding.get("HostIp") or "127.0.0.1", binding["HostPort"])
        raise ProviderError(
            f"node {node.name!r} does not publish the API server port {API_SERVER_INTERNAL_PORT}"
        )

    def api_server_internal_endpoint(self, cluster: str) -> str:
        return join_host_port(self._api_server_node(cluster).name, API_SERVER_INTERNAL_PORT)

    # ------------------------------------------------------------ logs
    def collect_logs(self, dest: Path, nodes: Sequence[Node]) -> None:
        """``<engine>-info.txt`` (the engine's info, JSON) and ``<node>/inspect.json``."""
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        info = self._engine_info()
        (dest / f"{self.name}-info.txt").write_text(json.dumps(info, indent=2, default=str) + "\n")
        for node in nodes:
            folder = dest / node.name
            folder.mkdir(parents=True, exist_ok=True)
            attrs = self._inspect(node.name)
            (folder / "inspect.json").write_text(json.dumps([attrs], indent=2, default=str) + "\n")
