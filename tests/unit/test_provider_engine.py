"""The shared engine provider (pykind.runtime.engine) against an in-memory SDK client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import pykind
from pykind.config.models import ClusterConfig
from pykind.errors import ClusterNotFoundError, ConfigError, NodeCommandError, ProviderError
from pykind.plugin.manager import create_plugin_manager
from pykind.runtime.engine import (
    BOOT_PATTERN,
    DESKTOP_PORT_LABEL,
    BindMount,
    ContainerRequest,
    EngineNode,
    EngineProvider,
    resolve_mounts,
)
from pykind.runtime.engine_net import free_port, join_host_port, ula_subnet
from pykind.runtime.labels import CLUSTER_LABEL, ROLE_LABEL
from pykind.runtime.plan import plan_nodes
from pykind.runtime.protocols import Node, NodeProvider, ProvisionPlan
from pykind.status import RecordingStatus


# ---------------------------------------------------------------- an in-memory SDK client
class FakeContainer:
    def __init__(self, name: str, labels: dict[str, str], **attrs: Any) -> None:
        self.name = name
        self.logs_data = b""
        self.attrs: dict[str, Any] = {
            "Names": [f"/{name}"],
            "Labels": labels,
            "Config": {"Labels": labels},
            "State": {"Status": "running", "Running": True},
            "NetworkSettings": {"Networks": {}, "Ports": {}},
            **attrs,
        }

    def logs(self, stdout: bool = True, stderr: bool = True) -> bytes:
        return self.logs_data

    def remove(self, v: bool = False, force: bool = False) -> None:
        assert v and force
        FAKE_REMOVED.append(self.name)


FAKE_REMOVED: list[str] = []


class FakeContainers:
    def __init__(self) -> None:
        self.items: dict[str, FakeContainer] = {}

    def add(self, name: str, cluster: str, role: str, **attrs: Any) -> FakeContainer:
        c = FakeContainer(name, {CLUSTER_LABEL: cluster, ROLE_LABEL: role}, **attrs)
        self.items[name] = c
        return c

    def list(self, all: bool, filters: dict[str, str], sparse: bool) -> list[FakeContainer]:
        assert all and sparse
        key, _, value = filters["label"].partition("=")
        return [
            c
            for c in self.items.values()
            if key in c.attrs["Labels"] and (not value or c.attrs["Labels"][key] == value)
        ]

    def get(self, name: str) -> FakeContainer:
        return self.items[name]  # KeyError plays the SDK's NotFound


class FakeClient:
    def __init__(self) -> None:
        self.containers = FakeContainers()

    def info(self) -> dict[str, Any]:
        return {"fake": True}


class StubProvider(EngineProvider):
    """EngineProvider with the engine-specific parts stubbed."""

    name = "stub"
    display_name = "Stub"
    network_env = "KIND_EXPERIMENTAL_STUB_NETWORK"
    container_env = "stub"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("endpoint", "unix:///stub.sock")
        super().__init__(**kwargs)
        self._client = FakeClient()
        self.fuse = False
        self.engine_proxy: dict[str, str] = {}
        self.created: list[ContainerRequest] = []
        self.networks: list[str] = []

    def _is_not_found(self, exc: BaseException) -> bool:
        return isinstance(exc, KeyError)

    def _needs_fuse(self) -> bool:
        return self.fuse

    def _engine_proxy_env(self) -> dict[str, str]:
        return dict(self.engine_proxy)

    def _network_subnets(self, name: str) -> list[str]:
        return ["172.18.0.0/16", "fc00:f853:ccd:e793::/64"]

    def _ensure_network(self, name: str) -> None:
        self.networks.append(name)

    def _create_container(self, request: ContainerRequest) -> None:
        self.created.append(request)
        c = self.client.containers.add(
            request.name, request.labels[CLUSTER_LABEL], request.labels[ROLE_LABEL]
        )
        c.logs_data = (
            b"[  OK  ] Reached target \x1b[0;1;39mmulti-user.target\x1b[0m - Multi-User System."
        )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("KIND_EXPERIMENTAL_STUB_NETWORK", raising=False)
    monkeypatch.delenv("KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER", raising=False)
    FAKE_REMOVED.clear()


def config(raw: dict[str, Any] | None = None, name: str = "c1") -> ClusterConfig:
    data: dict[str, Any] = {"name": name}
    data.update(raw or {})
    return ClusterConfig.model_validate(data).with_defaults()


def plan(raw: dict[str, Any] | None = None, **kwargs: Any) -> ProvisionPlan:
    return plan_nodes(config(raw), **kwargs)


def by_name(requests: Iterable[ContainerRequest]) -> dict[str, ContainerRequest]:
    return {r.name: r for r in requests}


# ---------------------------------------------------------------- host helpers
def test_ula_subnet_matches_upstream() -> None:
    # upstream kind's well-known subnet for its default network
    assert ula_subnet("kind") == "fc00:f853:ccd:e793::/64"
    assert ula_subnet("kind", 1) != ula_subnet("kind")
    assert ula_subnet("other").startswith("fc00:")


def test_join_host_port_brackets_ipv6() -> None:
    assert join_host_port("127.0.0.1", 6443) == "127.0.0.1:6443"
    assert join_host_port("::1", "6443") == "[::1]:6443"


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port("127.0.0.1")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    with pytest.raises(ProviderError, match=r"192\.0\.2\.1"):
        free_port("192.0.2.1")


# ---------------------------------------------------------------- container plan
def test_single_control_plane_and_worker_flags() -> None:
    p = StubProvider()
    reqs = by_name(
        p.plan_containers(plan({"nodes": [{"role": "control-plane"}, {"role": "worker"}]}), "kind")
    )
    cp, worker = reqs["c1-control-plane"], reqs["c1-worker"]
    assert cp.labels == {CLUSTER_LABEL: "c1", ROLE_LABEL: "control-plane"}
    assert worker.labels == {CLUSTER_LABEL: "c1", ROLE_LABEL: "worker"}
    assert cp.hostname == "c1-control-plane" and cp.network == "kind"
    assert cp.env["container"] == "stub"
    assert cp.env["KUBECONFIG"] == "/etc/kubernetes/admin.conf"
    assert "KUBECONFIG" not in worker.env
    assert "KIND_DNS_SEARCH" not in cp.env
    assert cp.node and worker.node and cp.wait_for_boot and worker.wait_for_boot
    assert cp.sysctls == {} and cp.devices == ()
    (api,) = cp.ports
    assert (api.host_ip, api.container_port, api.protocol) == ("127.0.0.1", 6443, "tcp")
    assert api.host_port > 0
    assert worker.ports == ()
    modules = [b for b in cp.binds if b.target == "/lib/modules"]
    assert modules == (
        [BindMount("/lib/modules", "/lib/modules", ("ro",))]
        if Path("/lib/modules").is_dir()
        else []
    )


def test_fixed_api_server_port_and_address() -> None:
    p = StubProvider()
    raw = {"networking": {"apiServerPort": 6000, "apiServerAddress": "0.0.0.0"}}
    (cp,) = p.plan_containers(plan(raw), "kind")
    assert [(b.host_ip, b.host_port, b.container_port) for b in cp.ports] == [
        ("0.0.0.0", 6000, 6443)
    ]


def test_load_balancer_and_control_planes_behind_it() -> None:
    p = StubProvider()
    reqs = by_name(
        p.plan_containers(
            plan({"nodes": [{"role": "control-plane"}, {"role": "control-plane"}]}), "kind"
        )
    )
    lb = reqs["c1-external-load-balancer"]
    assert not lb.node and not lb.wait_for_boot
    assert lb.labels[ROLE_LABEL] == "external-load-balancer"
    assert "KUBECONFIG" not in lb.env
    assert [(b.host_ip, b.container_port) for b in lb.ports] == [("127.0.0.1", 6443)]
    ports = set()
    for name in ("c1-control-plane", "c1-control-plane2"):
        (binding,) = reqs[name].ports
        assert (binding.host_ip, binding.container_port) == ("127.0.0.1", 6443)
        ports.add(binding.host_port)
    assert len(ports) == 2


def test_ipv6_cluster_flags() -> None:
    p = StubProvider()
    raw = {
        "networking": {"ipFamily": "ipv6"},
        "nodes": [
            {
                "role": "control-plane",
                "extraPortMappings": [
                    {"containerPort": 80},
                    {"containerPort": 81, "listenAddress": "0.0.0.0", "hostPort": 8081},
                    {"containerPort": 82, "protocol": "SCTP", "hostPort": 8082},
                ],
            },
            {"role": "control-plane"},
        ],
    }
    reqs = by_name(p.plan_containers(plan(raw), "kind"))
    cp = reqs["c1-control-plane"]
    assert cp.sysctls == {
        "net.ipv6.conf.all.disable_ipv6": "0",
        "net.ipv6.conf.all.forwarding": "1",
    }
    assert reqs["c1-external-load-balancer"].sysctls == cp.sysctls
    ports = {b.container_port: b for b in cp.ports}
    assert ports[6443].host_ip == "::1"  # behind the load balancer: loopback of the family
    assert ports[80].host_ip == "::" and ports[80].host_port > 0
    assert (ports[81].host_ip, ports[81].host_port) == ("0.0.0.0", 8081)
    assert (ports[82].protocol, ports[82].host_port) == ("sctp", 8082)
    assert reqs["c1-external-load-balancer"].ports[0].host_ip == "::1"


def test_dual_stack_enables_ipv6_sysctls() -> None:
    (cp,) = StubProvider().plan_containers(plan({"networking": {"ipFamily": "dual"}}), "kind")
    assert cp.sysctls["net.ipv6.conf.all.forwarding"] == "1"


def test_dns_search_env() -> None:
    p = StubProvider()
    (cp,) = p.plan_containers(plan({"networking": {"dnsSearch": ["a.test", "b.test"]}}), "k")
    assert cp.env["KIND_DNS_SEARCH"] == "a.test b.test"
    (cp,) = p.plan_containers(plan({"networking": {"dnsSearch": []}}), "k")
    assert cp.env["KIND_DNS_SEARCH"] == ""


def test_proxy_env_and_no_proxy_like_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy:3128")
    monkeypatch.setenv("NO_PROXY", "corp.test")
    p = StubProvider()
    reqs = p.plan_containers(plan({"nodes": [{}, {"role": "worker"}]}), "kind")
    env = reqs[0].env
    assert env["HTTP_PROXY"] == env["http_proxy"] == "http://proxy:3128"
    assert "HTTPS_PROXY" not in env
    assert env["NO_PROXY"] == env["no_proxy"]
    assert env["NO_PROXY"].split(",") == [
        "172.18.0.0/16",
        "fc00:f853:ccd:e793::/64",
        "corp.test",
        "10.96.0.0/16",
        "10.244.0.0/16",
        "c1-control-plane",
        "c1-worker",
        ".svc",
        ".svc.cluster",
        ".svc.cluster.local",
    ]
    assert reqs[1].env["NO_PROXY"] == env["NO_PROXY"]


def test_proxy_env_falls_back_to_the_engine() -> None:
    p = StubProvider()
    (cp,) = p.plan_containers(plan(), "kind")
    assert "HTTP_PROXY" not in cp.env
    p.engine_proxy = {"HTTPS_PROXY": "http://engine:1", "https_proxy": "http://engine:1"}
    (cp,) = p.plan_containers(plan(), "kind")
    assert cp.env["HTTPS_PROXY"] == "http://engine:1"
    assert cp.env["NO_PROXY"].startswith("172.18.0.0/16,fc00:f853:ccd:e793::/64,10.96.0.0/16,")


def test_snapshotter_and_fuse_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER", "fuse-overlayfs")
    p = StubProvider()
    p.fuse = True
    reqs = by_name(p.plan_containers(plan({"nodes": [{}, {}]}), "kind"))
    assert reqs["c1-control-plane"].env["KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER"] == (
        "fuse-overlayfs"
    )
    assert "KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER" not in reqs["c1-external-load-balancer"].env
    assert all(r.devices == ("/dev/fuse",) for r in reqs.values())


# ---------------------------------------------------------------- mounts
def test_mounts_resolve_relative_paths_and_options(tmp_path: Path) -> None:
    (tmp_path / "rel").mkdir()
    (tmp_path / "abs").mkdir()
    raw = {
        "nodes": [
            {
                "extraMounts": [
                    {"hostPath": "rel", "containerPath": "/a"},
                    {
                        "hostPath": str(tmp_path / "abs"),
                        "containerPath": "/b",
                        "readOnly": True,
                        "selinuxRelabel": True,
                        "propagation": "Bidirectional",
                    },
                    {"hostPath": "rel", "containerPath": "/c", "propagation": "HostToContainer"},
                ]
            }
        ]
    }
    binds = resolve_mounts(plan(raw, config_dir=tmp_path))["c1-control-plane"]
    assert binds == (
        BindMount(str(tmp_path / "rel"), "/a"),
        BindMount(str(tmp_path / "abs"), "/b", ("ro", "Z", "rshared")),
        BindMount(str(tmp_path / "rel"), "/c", ("rslave",)),
    )
    assert binds[1].spec == f"{tmp_path / 'abs'}:/b:ro,Z,rshared"
    assert binds[0].spec == f"{tmp_path / 'rel'}:/a"
    (cp,) = StubProvider().plan_containers(plan(raw, config_dir=tmp_path), "kind")
    assert cp.binds[-3:] == binds


def test_missing_mount_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    raw = {
        "nodes": [
            {},
            {"role": "worker", "extraMounts": [{"hostPath": "gone", "containerPath": "/x"}]},
        ]
    }
    p = StubProvider()
    with pytest.raises(ConfigError) as info:
        p.provision(plan(raw, config_dir=tmp_path))
    assert info.value.field == "nodes[1].extraMounts[0].hostPath"
    assert str(tmp_path / "gone") in str(info.value)
    assert p.created == [] and p.networks == []  # nothing was touched


# ---------------------------------------------------------------- provisioning
def test_provision_creates_network_then_nodes_in_parallel() -> None:
    """The first control plane is created alone first (the cluster name's claim: a
    concurrent create of the same name stops there), then the others at once."""
    p = StubProvider()
    started: list[str] = []
    barrier = threading.Barrier(2, timeout=10)
    original = p._create_container

    def create(request: ContainerRequest) -> None:
        started.append(request.name)
        if request.name != "c1-control-plane":
            barrier.wait()  # the other two creations are in flight at once
        original(request)

    p._create_container = create  # type: ignore[method-assign]
    status = RecordingStatus()
    p.provision(plan({"nodes": [{}, {}]}), status)
    assert p.networks == ["kind"]
    assert started[0] == "c1-control-plane"
    assert sorted(started[1:]) == ["c1-control-plane2", "c1-external-load-balancer"]
    assert status.events == [("start", "Preparing nodes 📦 📦 "), ("end", "ok")]


def test_provision_reports_the_first_failure_after_all_finished() -> None:
    p = StubProvider()
    finished: list[str] = []

    def create(request: ContainerRequest) -> None:
        if request.role == "worker":
            raise ProviderError(f"boom {request.name}")
        time.sleep(0.2)
        finished.append(request.name)

    p._create_container = create  # type: ignore[method-assign]
    p.wait_for_boot = lambda name, timeout=None: None  # type: ignore[method-assign]
    status = RecordingStatus()
    with pytest.raises(ProviderError, match="boom c1-worker"):
        p.provision(plan({"nodes": [{}, {"role": "worker"}]}), status)
    assert finished == ["c1-control-plane"]
    assert status.events[-1] == ("end", "failed")


def test_network_name_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert StubProvider().network_name() == "kind"
    monkeypatch.setenv("KIND_EXPERIMENTAL_STUB_NETWORK", "from-env")
    assert StubProvider().network_name() == "from-env"

    class Plugin:
        @pykind.plugin.hookimpl
        def pykind_network_name(self, provider: str) -> str | None:
            return f"hooked-{provider}"

    pm = create_plugin_manager(autoload=False, builtins=False, extra=[Plugin()])
    assert StubProvider(plugin_manager=pm).network_name() == "hooked-stub"
    assert StubProvider(plugin_manager=pm, network="explicit").network_name() == "explicit"


def test_env_network_override_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIND_EXPERIMENTAL_STUB_NETWORK", "mine")
    p = StubProvider()
    status = RecordingStatus()
    p.provision(plan(), status)
    assert p.networks == ["mine"]
    assert p.created[0].network == "mine"
    assert any("KIND_EXPERIMENTAL_STUB_NETWORK" in m for k, m in status.events if k == "info")


# ---------------------------------------------------------------- boot wait
def test_boot_pattern_matches_upstream_lines() -> None:
    assert BOOT_PATTERN.search(b"[  OK  ] Reached target Multi-User System.")
    assert BOOT_PATTERN.search(b"INFO: detected cgroup v1")
    assert not BOOT_PATTERN.search(b"Reached target Basic System.")


def test_wait_for_boot_fails_fast_when_the_container_exits() -> None:
    p = StubProvider()
    c = p.client.containers.add("n1", "c1", "worker")
    c.logs_data = b"\x1b[0;31mERROR:\x1b[0m init failed\r\n" + b"".join(
        f"line {i}\n".encode() for i in range(40)
    )
    c.attrs["State"] = {"Status": "exited", "Running": False, "ExitCode": 1}
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        p.wait_for_boot("n1", timeout=60)
    assert time.monotonic() - started < 30
    message = str(info.value)
    assert "'n1'" in message and "exited with code 1" in message
    assert "line 39" in message and "line 10" not in message  # only the tail
    assert "\x1b" not in message


def test_wait_for_boot_times_out() -> None:
    p = StubProvider()
    p.client.containers.add("n1", "c1", "worker").logs_data = b"Starting things...\n"
    with pytest.raises(ProviderError, match=r"within 0\.2s[\s\S]*Starting things"):
        p.wait_for_boot("n1", timeout=0.2)


def test_wait_for_boot_ignores_a_restarting_container() -> None:
    p = StubProvider()
    c = p.client.containers.add("n1", "c1", "worker")
    c.attrs["State"] = {"Status": "restarting", "Restarting": True}

    def boot() -> None:
        time.sleep(0.6)
        c.logs_data = b"Reached target Multi-User System"

    threading.Thread(target=boot).start()
    p.wait_for_boot("n1", timeout=30)


# ---------------------------------------------------------------- listing and deleting
def _cluster(p: StubProvider) -> None:
    cs = p.client.containers
    cs.add("a-control-plane", "a", "control-plane")
    cs.add("a-worker", "a", "worker")
    cs.add("b-control-plane", "b", "control-plane")
    cs.add("b-control-plane2", "b", "control-plane")
    cs.add("b-external-load-balancer", "b", "external-load-balancer")
    cs.items["unrelated"] = FakeContainer("unrelated", {})


def test_list_clusters_and_nodes_from_labels() -> None:
    p = StubProvider()
    _cluster(p)
    assert isinstance(p, NodeProvider)
    assert p.list_clusters() == ["a", "b"]
    nodes = p.list_nodes("b")
    assert [(n.name, n.role, n.cluster) for n in nodes] == [
        ("b-control-plane", "control-plane", "b"),
        ("b-control-plane2", "control-plane", "b"),
        ("b-external-load-balancer", "external-load-balancer", "b"),
    ]
    assert all(isinstance(n, Node) for n in nodes)
    assert p.list_nodes("zzz") == []


def test_delete_nodes_ignores_missing_ones() -> None:
    p = StubProvider()
    _cluster(p)
    gone = EngineNode(p, "gone", "worker", "a")
    p.delete_nodes([*p.list_nodes("a"), gone])
    assert sorted(FAKE_REMOVED) == ["a-control-plane", "a-worker"]
    p.delete_nodes([])


def test_desktop_label_key() -> None:
    assert DESKTOP_PORT_LABEL.startswith("desktop.docker.")
    assert DESKTOP_PORT_LABEL.endswith("/ports/6443/tcp")


def test_api_server_endpoints() -> None:
    p = StubProvider()
    _cluster(p)
    cs = p.client.containers.items
    cs["a-control-plane"].attrs["NetworkSettings"]["Ports"] = {
        "6443/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40001"}]
    }
    cs["b-external-load-balancer"].attrs["NetworkSettings"]["Ports"] = {
        "6443/tcp": [{"HostIp": "::1", "HostPort": "40002"}]
    }
    assert p.api_server_endpoint("a") == "127.0.0.1:40001"
    assert p.api_server_internal_endpoint("a") == "a-control-plane:6443"
    assert p.api_server_endpoint("b") == "[::1]:40002"
    assert p.api_server_internal_endpoint("b") == "b-external-load-balancer:6443"
    # podman leaves HostIp empty for "all addresses": upstream uses loopback
    cs["a-control-plane"].attrs["NetworkSettings"]["Ports"]["6443/tcp"][0]["HostIp"] = ""
    assert p.api_server_endpoint("a") == "127.0.0.1:40001"
    # Docker Desktop's label wins
    cs["a-control-plane"].attrs["Config"]["Labels"][DESKTOP_PORT_LABEL] = "10.0.1.7:6443"
    assert p.api_server_endpoint("a") == "10.0.1.7:6443"
    with pytest.raises(ClusterNotFoundError):
        p.api_server_endpoint("zzz")
    del cs["b-external-load-balancer"]
    with pytest.raises(ProviderError, match="2 control planes"):
        p.api_server_endpoint("b")


def test_node_ips_prefer_the_cluster_network() -> None:
    p = StubProvider()
    c = p.client.containers.add("n1", "c1", "worker")
    c.attrs["NetworkSettings"]["Networks"] = {
        "other": {"IPAddress": "10.0.0.2", "GlobalIPv6Address": ""},
        "kind": {"IPAddress": "172.18.0.2", "GlobalIPv6Address": "fc00::2"},
    }
    assert EngineNode(p, "n1", "worker", "c1").ip() == ("172.18.0.2", "fc00::2")
    del c.attrs["NetworkSettings"]["Networks"]["kind"]
    assert p.node_ips("n1") == ("10.0.0.2", "")


def test_node_run_checks_the_exit_code() -> None:
    p = StubProvider()
    calls: list[tuple[Any, ...]] = []

    def exec_in(name: str, argv: Any, **kwargs: Any) -> tuple[int, bytes, bytes]:
        calls.append((name, list(argv), kwargs["env"]))
        return (2, b"out", b"err") if argv[0] == "false" else (0, b"ok\n", b"")

    p.exec_in = exec_in  # type: ignore[method-assign]
    node = EngineNode(p, "n1", "worker", "c1")
    assert node.run(["true"], env={"A": "1"}).text == "ok\n"
    assert node.run(["false"], check=False).returncode == 2
    with pytest.raises(NodeCommandError) as info:
        node.run(["false", "x"])
    assert (info.value.node, info.value.returncode, info.value.argv) == ("n1", 2, ["false", "x"])
    assert calls[0] == ("n1", ["true"], {"A": "1"})


def test_collect_logs_writes_info_and_inspect(tmp_path: Path) -> None:
    import json

    p = StubProvider()
    _cluster(p)
    p.collect_logs(tmp_path / "logs", p.list_nodes("a"))
    assert json.loads((tmp_path / "logs" / "stub-info.txt").read_text()) == {"fake": True}
    inspected = json.loads((tmp_path / "logs" / "a-worker" / "inspect.json").read_text())
    assert inspected[0]["Config"]["Labels"][CLUSTER_LABEL] == "a"
