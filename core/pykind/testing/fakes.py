"""In-memory test doubles: :class:`FakeProvider` and :class:`FakeNode`.

A :class:`FakeNode` keeps a small file system (``files``) and records every command run in it
(``calls``). Commands are answered by *handlers*, matched by argv prefix; the newest matching
handler wins, so tests override the defaults::

    node.on(["kubeadm", "init"], returncode=1, stderr=b"boom")      # simulate a failure
    node.on(["kubectl", "get"], stdout=b"'False'")                  # script an answer
    node.on(["crictl"], lambda node, call: (0, b"ok", b""))         # compute an answer

The defaults behave like the test node image's stand-ins: ``cat``/``cp /dev/stdin``/``mv``/
``test -f``/``rm`` act on ``files``; ``kubeadm init`` writes ``/etc/kubernetes/admin.conf`` and
the CA files; ``kubectl get nodes`` reports ``'True'``; anything else succeeds silently.
Nothing here talks to a container engine.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pykind.errors import (
    ClusterNotFoundError,
    ImageNotFoundError,
    NodeCommandError,
    ProviderError,
)
from pykind.runtime.protocols import (
    ROLE_CONTROL_PLANE,
    ROLE_LOAD_BALANCER,
    CommandResult,
    Node,
    ProviderInfo,
    ProvisionPlan,
    Stdin,
)
from pykind.status import step

if TYPE_CHECKING:
    from pykind.status import Status

#: The Kubernetes version the fake node image reports in ``/kind/version``.
FAKE_KUBERNETES_VERSION = "v1.36.1"

#: A trimmed kindnet manifest with upstream's template and patch markers.
FAKE_CNI_MANIFEST = """\
# kindnetd networking manifest
# would you kindly template this file
# would you kindly patch this file
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kindnet
  namespace: kube-system
spec:
  selector:
    matchLabels:
      app: kindnet
  template:
    metadata:
      labels:
        app: kindnet
    spec:
      containers:
      - name: kindnet-cni
        image: kindest/kindnetd:fake
        env:
        - name: POD_SUBNET
          value: {{ .PodSubnet }}
"""

FAKE_STORAGE_MANIFEST = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
provisioner: rancher.io/local-path
"""

FAKE_CONTAINERD_CONFIG = """\
version = 2

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
"""

#: Files ``kubeadm init`` leaves behind (what upstream copies to the other control planes).
KUBEADM_INIT_FILES = (
    "/etc/kubernetes/pki/ca.crt",
    "/etc/kubernetes/pki/ca.key",
    "/etc/kubernetes/pki/front-proxy-ca.crt",
    "/etc/kubernetes/pki/front-proxy-ca.key",
    "/etc/kubernetes/pki/sa.pub",
    "/etc/kubernetes/pki/sa.key",
    "/etc/kubernetes/pki/etcd/ca.crt",
    "/etc/kubernetes/pki/etcd/ca.key",
)


def fake_admin_conf(cluster: str, server: str) -> str:
    """An ``admin.conf`` shaped like the one kubeadm writes (fake credentials)."""
    return f"""\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: RkFLRS1DQQ==
    server: {server}
  name: {cluster}
contexts:
- context:
    cluster: {cluster}
    user: kubernetes-admin
  name: kubernetes-admin@{cluster}
current-context: kubernetes-admin@{cluster}
kind: Config
preferences: {{}}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: RkFLRS1DRVJU
    client-key-data: RkFLRS1LRVk=
"""


@dataclass(frozen=True)
class RecordedCall:
    """One command run in a :class:`FakeNode`."""

    argv: tuple[str, ...]
    stdin: bytes | None = None
    env: Mapping[str, str] | None = None

    @property
    def stdin_text(self) -> str:
        return (self.stdin or b"").decode("utf-8", "replace")


#: What a handler may return: a full result, ``(returncode, stdout, stderr)``, stdout alone
#: (bytes or str), or None for "success, no output".
HandlerResult = CommandResult | tuple[int, bytes, bytes] | bytes | str | None
Handler = Callable[["FakeNode", RecordedCall], HandlerResult]
Matcher = Callable[[Sequence[str]], bool]


def _prefix_matcher(prefix: Sequence[str]) -> Matcher:
    wanted = tuple(prefix)

    def match(argv: Sequence[str]) -> bool:
        return tuple(argv[: len(wanted)]) == wanted

    return match


def _read_stdin(stdin: Stdin | None) -> bytes | None:
    if stdin is None:
        return None
    if isinstance(stdin, bytes):
        return stdin
    read = getattr(stdin, "read", None)
    if read is not None:
        data = read()
        return data if isinstance(data, bytes) else bytes(data)
    return b"".join(stdin)


class FakeNode:
    """An in-memory node: records commands, answers them from scriptable handlers."""

    def __init__(
        self,
        name: str,
        role: str,
        cluster: str,
        *,
        ipv4: str = "",
        ipv6: str = "",
        image: str = "",
        files: Mapping[str, bytes | str] | None = None,
    ) -> None:
        self._name = name
        self._role = role
        self._cluster = cluster
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.image = image
        self.files: dict[str, bytes] = {
            k: v.encode() if isinstance(v, str) else v for k, v in (files or {}).items()
        }
        self.calls: list[RecordedCall] = []
        #: Set when the provider deleted the container: every later command fails.
        self.removed = False
        self.logs = b""
        self._handlers: list[tuple[Matcher, Handler]] = []
        self._lock = threading.Lock()
        self._install_defaults()

    # ------------------------------------------------------------------ Node protocol
    @property
    def name(self) -> str:
        return self._name

    @property
    def role(self) -> str:
        return self._role

    @property
    def cluster(self) -> str:
        return self._cluster

    def ip(self) -> tuple[str, str]:
        return self.ipv4, self.ipv6

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Stdin | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        if self.removed:
            raise ProviderError(f"node {self._name!r} does not exist (container removed)")
        call = RecordedCall(tuple(argv), _read_stdin(stdin), dict(env) if env else None)
        with self._lock:
            self.calls.append(call)
            handler = self._find_handler(call.argv)
        result = self._normalise(call.argv, handler(self, call))
        if check and result.returncode != 0:
            raise NodeCommandError(
                result.argv, result.returncode, result.stdout, result.stderr, node=self._name
            )
        if stdout is not None:
            stdout.write(result.stdout)
            return CommandResult(result.argv, result.returncode, b"", result.stderr)
        return result

    def serial_logs(self) -> bytes:
        return self.logs

    # ------------------------------------------------------------------ scripting
    def on(
        self,
        match: Sequence[str] | Matcher,
        handler: Handler | None = None,
        *,
        returncode: int = 0,
        stdout: bytes | str = b"",
        stderr: bytes | str = b"",
    ) -> None:
        """Answer commands starting with ``match`` (an argv prefix, or a predicate).

        Without ``handler``, answer with the given ``returncode``/``stdout``/``stderr``.
        """
        matcher = match if callable(match) else _prefix_matcher(match)
        if handler is None:
            out = stdout.encode() if isinstance(stdout, str) else stdout
            err = stderr.encode() if isinstance(stderr, str) else stderr

            def fixed(node: FakeNode, call: RecordedCall) -> HandlerResult:
                return (returncode, out, err)

            handler = fixed
        with self._lock:
            self._handlers.append((matcher, handler))

    def fail(
        self,
        match: Sequence[str] | Matcher,
        *,
        returncode: int = 1,
        stdout: bytes | str = b"",
        stderr: bytes | str = b"simulated failure",
    ) -> None:
        """Make commands starting with ``match`` exit with ``returncode``."""
        self.on(match, returncode=returncode, stdout=stdout, stderr=stderr)

    def commands(self, *prefix: str) -> list[tuple[str, ...]]:
        """The argv of every recorded command starting with ``prefix``."""
        return [c.argv for c in self.calls if c.argv[: len(prefix)] == prefix]

    def calls_to(self, *prefix: str) -> list[RecordedCall]:
        """Every recorded call whose argv starts with ``prefix``."""
        return [c for c in self.calls if c.argv[: len(prefix)] == prefix]

    def text(self, path: str) -> str:
        """The content of ``path`` in the fake file system (KeyError when absent)."""
        return self.files[path].decode("utf-8", "replace")

    # ------------------------------------------------------------------ internals
    def _find_handler(self, argv: tuple[str, ...]) -> Handler:
        for matcher, handler in reversed(self._handlers):
            if matcher(argv):
                return handler
        return _succeed

    @staticmethod
    def _normalise(argv: tuple[str, ...], value: HandlerResult) -> CommandResult:
        if value is None:
            return CommandResult(argv, 0)
        if isinstance(value, CommandResult):
            return value
        if isinstance(value, str):
            return CommandResult(argv, 0, value.encode())
        if isinstance(value, bytes):
            return CommandResult(argv, 0, value)
        code, out, err = value
        return CommandResult(argv, code, out, err)

    def _install_defaults(self) -> None:
        self.on(["cat"], _cat)
        self.on(["cp", "/dev/stdin"], _cp_stdin)
        self.on(["mv"], _mv)
        self.on(["test", "-f"], _test_f)
        self.on(["rm"], _rm)
        self.on(["kubeadm", "init"], _kubeadm_init)
        self.on(["kubectl"], _kubectl)

    def __repr__(self) -> str:
        return f"FakeNode({self._name!r}, role={self._role!r})"


def _succeed(node: FakeNode, call: RecordedCall) -> HandlerResult:
    return None


def _cat(node: FakeNode, call: RecordedCall) -> HandlerResult:
    out = b""
    for path in call.argv[1:]:
        if path not in node.files:
            return (1, out, f"cat: {path}: No such file or directory\n".encode())
        out += node.files[path]
    return (0, out, b"")


def _cp_stdin(node: FakeNode, call: RecordedCall) -> HandlerResult:
    node.files[call.argv[2]] = call.stdin or b""
    return None


def _mv(node: FakeNode, call: RecordedCall) -> HandlerResult:
    src, dst = call.argv[-2], call.argv[-1]
    if src not in node.files:
        return (1, b"", f"mv: cannot stat '{src}': No such file or directory\n".encode())
    node.files[dst] = node.files.pop(src)
    return None


def _test_f(node: FakeNode, call: RecordedCall) -> HandlerResult:
    return (0 if call.argv[2] in node.files else 1, b"", b"")


def _rm(node: FakeNode, call: RecordedCall) -> HandlerResult:
    for path in call.argv[1:]:
        if not path.startswith("-"):
            node.files.pop(path, None)
    return None


def _kubeadm_init(node: FakeNode, call: RecordedCall) -> HandlerResult:
    server = f"https://{node.name}:6443"
    node.files["/etc/kubernetes/admin.conf"] = fake_admin_conf(node.cluster, server).encode()
    for path in KUBEADM_INIT_FILES:
        node.files[path] = f"fake {path}\n".encode()
    return (0, b"[init] fake kubeadm init\n", b"")


def _kubectl(node: FakeNode, call: RecordedCall) -> HandlerResult:
    if "get" in call.argv and "nodes" in call.argv:
        return (0, b"'True'", b"")
    return None


@dataclass
class ProviderEvent:
    """One provider operation, in order (for ordering assertions)."""

    op: str
    detail: str = ""


@dataclass
class FakeProvider:
    """An in-memory :class:`~pykind.runtime.protocols.NodeProvider`.

    ``present_images`` lists images "in the engine" (None: every image is present);
    ``pullable`` lists images ``pull_image`` can fetch. ``node_setup`` callbacks run on every
    node right after it is created (to script handlers). ``provision_error`` makes
    ``provision`` raise after creating ``provision_fail_after`` containers.
    """

    name: str = "fake"
    kubernetes_version: str = FAKE_KUBERNETES_VERSION
    rootless: bool = False
    cgroup2: bool = True
    present_images: set[str] | None = None
    pullable: set[str] = field(default_factory=set)
    node_setup: list[Callable[[FakeNode], None]] = field(default_factory=list)
    provision_error: Exception | None = None
    provision_fail_after: int = 0
    clusters: dict[str, list[FakeNode]] = field(default_factory=dict)
    plans: dict[str, ProvisionPlan] = field(default_factory=dict)
    pulled: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    events: list[ProviderEvent] = field(default_factory=list)
    _addresses: Iterator[int] = field(default_factory=lambda: itertools.count(2))
    _ports: Iterator[int] = field(default_factory=lambda: itertools.count(40000))
    _api_ports: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ NodeProvider
    def info(self) -> ProviderInfo:
        return ProviderInfo(name=self.name, rootless=self.rootless, cgroup2=self.cgroup2)

    def provision(self, plan: ProvisionPlan, status: Status) -> None:
        self.events.append(ProviderEvent("provision", plan.cluster))
        self.plans[plan.cluster] = plan
        boxes = sum(1 for spec in plan.nodes if spec.role != ROLE_LOAD_BALANCER)
        with step(status, "Preparing nodes " + "📦 " * boxes):
            for count, spec in enumerate(plan.nodes):
                if self.provision_error is not None and count >= self.provision_fail_after:
                    raise self.provision_error
                self.add_node(plan.cluster, spec.name, spec.role, image=spec.image)
        self._api_ports[plan.cluster] = plan.api_server_port or next(self._ports)

    def add_node(self, cluster: str, name: str, role: str, *, image: str = "") -> FakeNode:
        """Create one node directly (for tests that need a pre-existing cluster)."""
        n = next(self._addresses)
        files: dict[str, bytes | str] = {}
        if role != ROLE_LOAD_BALANCER:
            files = {
                "/kind/version": self.kubernetes_version + "\n",
                "/kind/manifests/default-cni.yaml": FAKE_CNI_MANIFEST,
                "/kind/manifests/default-storage.yaml": FAKE_STORAGE_MANIFEST,
                "/etc/containerd/config.toml": FAKE_CONTAINERD_CONFIG,
            }
        node = FakeNode(
            name,
            role,
            cluster,
            ipv4=f"172.18.0.{n}",
            ipv6=f"fc00:f853:ccd:e793::{n}",
            image=image,
            files=files,
        )
        for setup in self.node_setup:
            setup(node)
        self.clusters.setdefault(cluster, []).append(node)
        self.events.append(ProviderEvent("create-node", name))
        return node

    def list_clusters(self) -> list[str]:
        return sorted(name for name, nodes in self.clusters.items() if nodes)

    def list_nodes(self, cluster: str) -> list[Node]:
        return list(self.fake_nodes(cluster))

    def fake_nodes(self, cluster: str) -> list[FakeNode]:
        """``list_nodes`` with the fake's own type (for scripting and assertions)."""
        return sorted(self.clusters.get(cluster, []), key=lambda n: n.name)

    def delete_nodes(self, nodes: Sequence[object]) -> None:
        names = {getattr(n, "name", "") for n in nodes}
        for cluster, members in list(self.clusters.items()):
            keep = []
            for node in members:
                if node.name in names:
                    node.removed = True
                    self.deleted.append(node.name)
                    self.events.append(ProviderEvent("delete-node", node.name))
                else:
                    keep.append(node)
            if keep:
                self.clusters[cluster] = keep
            else:
                del self.clusters[cluster]

    def api_server_endpoint(self, cluster: str) -> str:
        if not self.clusters.get(cluster):
            raise ClusterNotFoundError(f"could not find any nodes for cluster {cluster!r}")
        port = self._api_ports.setdefault(cluster, next(self._ports))
        return f"127.0.0.1:{port}"

    def api_server_internal_endpoint(self, cluster: str) -> str:
        nodes = self.fake_nodes(cluster)
        if not nodes:
            raise ClusterNotFoundError(f"could not find any nodes for cluster {cluster!r}")
        for role in (ROLE_LOAD_BALANCER, ROLE_CONTROL_PLANE):
            for node in nodes:
                if node.role == role:
                    return f"{node.name}:6443"
        raise ClusterNotFoundError(f"cluster {cluster!r} has no control-plane node")

    def collect_logs(self, dest: Path, nodes: Sequence[object]) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "fake-provider.txt").write_text("fake provider\n")

    def image_id(self, image: str) -> str | None:
        if self.present_images is None or image in self.present_images:
            return f"sha256:fake-{abs(hash(image)):x}"
        return None

    def pull_image(self, image: str) -> None:
        self.events.append(ProviderEvent("pull", image))
        if image not in self.pullable:
            raise ImageNotFoundError("pull access denied (fake provider: nothing to pull from)")
        self.pulled.append(image)
        if self.present_images is not None:
            self.present_images.add(image)

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        yield from (f"fake archive of {i}\n".encode() for i in images)

    # ------------------------------------------------------------------ helpers
    def all_nodes(self) -> Iterable[FakeNode]:
        for nodes in self.clusters.values():
            yield from nodes

    def node(self, name: str) -> FakeNode:
        """The live node called ``name`` (KeyError when absent)."""
        for node in self.all_nodes():
            if node.name == name:
                return node
        raise KeyError(name)
