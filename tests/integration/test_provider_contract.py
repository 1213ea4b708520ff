"""The node provider contract, against real Docker and Podman engines.

Two clusters per engine are shared by most tests (created up front, removed at the end):

* ``main``: dual-stack, a control plane with extra mounts and port mappings, and a worker;
* ``ha``: two control planes behind the external load balancer (the haproxy test image).

Nodes run the test node image (systemd, containerd, recording stand-ins): nothing here is a
real Kubernetes cluster. Both engines' shared clusters are provisioned in parallel on first
use, so running the docker and podman halves in one session costs one boot wait.
"""

from __future__ import annotations

import functools
import hashlib
import io
import ipaddress
import json
import multiprocessing
import socket
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pykind.errors import (
    ConfigError,
    ImageNotFoundError,
    NodeCommandError,
    ProviderError,
    ProviderUnavailableError,
)
from pykind.runtime.engine import EngineProvider
from pykind.runtime.engine_net import free_port, ula_subnet
from pykind.runtime.labels import CLUSTER_LABEL, ROLE_LABEL
from pykind.runtime.protocols import Node, NodeProvider
from tests.integration.helpers import (
    ENGINES,
    ClusterTracker,
    cluster_config,
    ensure_network_at,
    eventually,
    host_port,
    inspect,
    make_provider,
    networks_named,
    random_name,
    run_parallel,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HELLO = "hello from the host\n"
MB = 1024 * 1024


@dataclass
class Clusters:
    main: str
    ha: str
    mounts: Path
    fixed_port: int

    def nodes(self, provider: NodeProvider, cluster: str) -> dict[str, Node]:
        return {n.name: n for n in provider.list_nodes(cluster)}


def _provision_clusters(
    provider: EngineProvider, tracker: ClusterTracker, mounts: Path
) -> Clusters:
    """Build the engine's images and provision its ``main`` and ``ha`` clusters in parallel."""
    from tests.images.build import build_image

    node_image = build_image(provider.name, "node")
    lb_image = build_image(provider.name, "haproxy")
    for sub in ("rw", "ro", "rel"):
        (mounts / sub).mkdir()
        (mounts / sub / "hello.txt").write_text(HELLO)
    fixed = free_port("127.0.0.1")
    main = cluster_config(
        random_name(),
        node_image,
        {
            "networking": {"ipFamily": "dual", "dnsSearch": ["pykind.test"]},
            "nodes": [
                {
                    "role": "control-plane",
                    "extraMounts": [
                        {"hostPath": str(mounts / "rw"), "containerPath": "/mnt/rw"},
                        {
                            "hostPath": str(mounts / "ro"),
                            "containerPath": "/mnt/ro",
                            "readOnly": True,
                        },
                        {"hostPath": "rel", "containerPath": "/mnt/rel"},
                    ],
                    "extraPortMappings": [
                        {"containerPort": 8080, "listenAddress": "127.0.0.1"},
                        {"containerPort": 8081, "hostPort": fixed, "listenAddress": "127.0.0.1"},
                        {"containerPort": 9090, "protocol": "UDP", "listenAddress": "127.0.0.1"},
                    ],
                },
                {"role": "worker"},
            ],
        },
    )
    ha = cluster_config(
        random_name(), node_image, {"nodes": [{"role": "control-plane"}, {"role": "control-plane"}]}
    )
    run_parallel(
        [
            lambda: tracker.provision(provider, main, config_dir=mounts),
            lambda: tracker.provision(provider, ha, lb_image=lb_image),
        ]
    )
    return Clusters(main=main.name, ha=ha.name, mounts=mounts, fixed_port=fixed)


@pytest.fixture(scope="module")
def shared_clusters(
    module_tracker: ClusterTracker, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Clusters | BaseException]:
    """The shared clusters of every reachable engine, all provisioned at once (docker and
    podman in parallel); an engine's failure is kept for its own tests to raise."""
    providers = [make_provider(name) for name in ENGINES]
    reachable = [p for p in providers if _reachable(p)]

    def provision(provider: EngineProvider) -> Clusters | BaseException:
        try:
            mounts = tmp_path_factory.mktemp(f"mounts-{provider.name}")
            return _provision_clusters(provider, module_tracker, mounts)
        except BaseException as exc:
            return exc

    results = run_parallel([functools.partial(provision, p) for p in reachable])
    return {p.name: r for p, r in zip(reachable, results, strict=True)}


def _reachable(provider: EngineProvider) -> bool:
    try:
        provider.list_clusters()
    except ProviderError:
        return False
    return True


@pytest.fixture
def clusters(
    engine: EngineProvider, shared_clusters: dict[str, Clusters | BaseException]
) -> Clusters:
    result = shared_clusters.get(engine.name)
    if result is None:
        pytest.fail(f"{engine.name}: shared clusters were not provisioned")
    if isinstance(result, BaseException):
        raise result
    return result


def _network_subnets(net: dict[str, Any]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if "IPAM" in net:  # docker
        raw = [c["Subnet"] for c in net["IPAM"]["Config"] or ()]
    else:  # podman
        raw = [s["subnet"] for s in net.get("subnets") or ()]
    return [ipaddress.ip_network(s) for s in raw]


# ---------------------------------------------------------------- protocol and naming
def test_provider_and_nodes_satisfy_the_protocols(
    engine: EngineProvider, clusters: Clusters
) -> None:
    assert isinstance(engine, NodeProvider)
    for node in engine.list_nodes(clusters.main):
        assert isinstance(node, Node)


def test_nodes_are_named_and_labelled_like_upstream(
    engine: EngineProvider, clusters: Clusters
) -> None:
    main = clusters.nodes(engine, clusters.main)
    ha = clusters.nodes(engine, clusters.ha)
    assert sorted(main) == [f"{clusters.main}-control-plane", f"{clusters.main}-worker"]
    assert sorted(ha) == [
        f"{clusters.ha}-control-plane",
        f"{clusters.ha}-control-plane2",
        f"{clusters.ha}-external-load-balancer",
    ]
    expected_roles = {
        f"{clusters.main}-control-plane": "control-plane",
        f"{clusters.main}-worker": "worker",
        f"{clusters.ha}-control-plane": "control-plane",
        f"{clusters.ha}-control-plane2": "control-plane",
        f"{clusters.ha}-external-load-balancer": "external-load-balancer",
    }
    for cluster, nodes in ((clusters.main, main), (clusters.ha, ha)):
        for name, node in nodes.items():
            assert node.role == expected_roles[name]
            assert node.cluster == cluster
            labels = inspect(engine, name)["Config"]["Labels"]
            assert labels[CLUSTER_LABEL] == cluster
            assert labels[ROLE_LABEL] == expected_roles[name]


# ---------------------------------------------------------------- run flags
def test_nodes_run_with_upstream_flags(engine: EngineProvider, clusters: Clusters) -> None:
    cp = f"{clusters.main}-control-plane"
    worker = f"{clusters.main}-worker"
    for name in (cp, worker):
        attrs = inspect(engine, name)
        host = attrs["HostConfig"]
        assert host["Privileged"] is True
        assert attrs["Config"]["Tty"] is True
        assert attrs["Config"]["Hostname"] == name
        mounts = {m["Destination"]: m for m in attrs["Mounts"]}
        assert mounts["/var"]["Type"] == "volume"
        if Path("/lib/modules").is_dir():
            assert mounts["/lib/modules"]["RW"] is False
        if engine.name == "docker":
            assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 1}
            assert host["Init"] is False
            assert host["CgroupnsMode"] == "private"
            assert set(host["Tmpfs"]) == {"/tmp", "/run"}
            assert "seccomp=unconfined" in host["SecurityOpt"]
            assert "apparmor=unconfined" in host["SecurityOpt"]
        node = clusters.nodes(engine, clusters.main)[name]
        assert node.run(["hostname"]).text.strip() == name
        env = dict(
            line.split("=", 1)
            for line in node.run(["cat", "/proc/1/environ"]).text.split("\0")
            if "=" in line
        )
        assert env["container"] == engine.name
        assert env["KIND_DNS_SEARCH"] == "pykind.test"
        assert ("KUBECONFIG" in env) == (name == cp)
        # dual-stack: IPv6 enabled and forwarding in the node
        assert node.run(["cat", "/proc/sys/net/ipv6/conf/all/forwarding"]).text.strip() == "1"
        assert node.run(["cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"]).text.strip() == "0"
        tmpfs = node.run(["findmnt", "-n", "-o", "FSTYPE", "/tmp"]).text.strip()
        assert tmpfs == "tmpfs"
        assert node.run(["findmnt", "-n", "-o", "FSTYPE", "/run"]).text.strip() == "tmpfs"


def test_systemd_booted_in_every_node(engine: EngineProvider, clusters: Clusters) -> None:
    nodes = [n for c in (clusters.main, clusters.ha) for n in engine.list_nodes(c)]
    for node in nodes:
        if node.role == "external-load-balancer":
            continue
        assert node.run(["systemctl", "is-active", "multi-user.target"]).text.strip() == "active"
        assert b"Multi-User System" in node.serial_logs()


def test_load_balancer_runs_with_upstream_flags(engine: EngineProvider, clusters: Clusters) -> None:
    lb = f"{clusters.ha}-external-load-balancer"
    attrs = inspect(engine, lb)
    assert attrs["HostConfig"]["Privileged"] is False
    assert all(m["Destination"] != "/var" for m in attrs["Mounts"])
    assert attrs["Config"]["Hostname"] == lb
    ip, port = host_port(engine, lb, "6443/tcp")
    assert ip == "127.0.0.1"

    # haproxy accepts connections on the published API server port
    def connect() -> bool:
        socket.create_connection((ip, port), timeout=5).close()
        return True

    eventually(connect)


# ---------------------------------------------------------------- network
def test_cluster_network_is_shared_and_dual_stack(
    engine: EngineProvider, clusters: Clusters
) -> None:
    nets = networks_named(engine, engine.network_name())
    assert len(nets) == 1
    versions = {s.version for s in _network_subnets(nets[0])}
    assert versions == {4, 6}
    for cluster in (clusters.main, clusters.ha):
        for node in engine.list_nodes(cluster):
            networks = inspect(engine, node.name)["NetworkSettings"]["Networks"]
            assert engine.network_name() in networks


def test_network_is_created_with_upstream_rules_and_reused(
    engine: EngineProvider, tracker: ClusterTracker
) -> None:
    name = tracker.track_network(engine, random_name("pykind-test-net-"))
    assert engine.ensure_network(name) == name
    nets = networks_named(engine, name)
    assert len(nets) == 1
    subnets = _network_subnets(nets[0])
    v6 = [s for s in subnets if s.version == 6]
    assert len(v6) == 1
    assert str(v6[0]) in {ula_subnet(name, attempt) for attempt in range(5)}
    assert any(s.version == 4 for s in subnets)
    if engine.name == "docker":
        assert nets[0]["EnableIPv6"] is True
        options = nets[0]["Options"]
        assert options["com.docker.network.bridge.enable_ip_masquerade"] == "true"
        bridge = engine.client.api.inspect_network("bridge")["Options"]
        mtu = bridge.get("com.docker.network.driver.mtu")
        if mtu:
            assert options["com.docker.network.driver.mtu"] == mtu
    else:
        assert nets[0]["ipv6_enabled"] is True
        assert nets[0]["dns_enabled"] is True  # as `podman network create` does
    first_id = nets[0].get("Id") or nets[0].get("id")
    engine.ensure_network(name)
    again = networks_named(engine, name)
    assert [n.get("Id") or n.get("id") for n in again] == [first_id]


def test_concurrent_network_creation_yields_one_network(
    engine: EngineProvider, tracker: ClusterTracker
) -> None:
    name = tracker.track_network(engine, random_name("pykind-test-race-"))
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0
    with ctx.Pool(4) as pool:
        results = pool.starmap(ensure_network_at, [(engine.name, name, start_at)] * 4)
    assert results == [name] * 4
    assert len(networks_named(engine, name)) == 1


def test_nodes_have_addresses_and_resolve_each_other(
    engine: EngineProvider, clusters: Clusters
) -> None:
    nodes = clusters.nodes(engine, clusters.main)
    cp = nodes[f"{clusters.main}-control-plane"]
    worker = nodes[f"{clusters.main}-worker"]
    v4, v6 = cp.ip()
    wv4, wv6 = worker.ip()
    assert ipaddress.ip_address(v4).version == 4
    assert ipaddress.ip_address(v6).version == 6
    assert {v4, v6}.isdisjoint({wv4, wv6})
    resolved = worker.run(["getent", "ahostsv4", cp.name]).text.split()
    assert v4 in resolved
    # both address families carry traffic between nodes
    cp.run(["systemd-run", "--unit=pykind-v6", "python3", "-m", "http.server", "8099",
            "--bind", "::", "--directory", "/etc"])  # fmt: skip
    fetch = (
        "import sys, urllib.request; "
        "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
    )
    for address in (f"[{v6}]", v4):
        url = f"http://{address}:8099/hostname"
        argv = ["python3", "-c", fetch, url]
        assert eventually(functools.partial(_text_of, worker, argv)).strip() == cp.name


def _text_of(node: Node, argv: list[str]) -> str:
    return node.run(argv).text


# ---------------------------------------------------------------- ports and endpoints
def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_port_mappings_are_reachable_from_the_host(
    engine: EngineProvider, clusters: Clusters
) -> None:
    cp_name = f"{clusters.main}-control-plane"
    cp = clusters.nodes(engine, clusters.main)[cp_name]
    for port in (8080, 8081):
        cp.run(
            [
                "systemd-run",
                f"--unit=pykind-http-{port}",
                "python3",
                "-m",
                "http.server",
                str(port),
                "--directory",
                "/mnt/rw",
            ]
        )
    random_ip, random_port = host_port(engine, cp_name, "8080/tcp")
    fixed_ip, fixed_port = host_port(engine, cp_name, "8081/tcp")
    assert fixed_port == clusters.fixed_port
    assert random_port > 0
    for ip, port in ((random_ip, random_port), (fixed_ip, fixed_port)):
        url = f"http://{ip}:{port}/hello.txt"
        assert eventually(functools.partial(_fetch, url)) == HELLO

    cp.run(
        [
            "systemd-run",
            "--unit=pykind-udp",
            "socat",
            "-u",
            "UDP-RECV:9090",
            "OPEN:/tmp/udp.txt,creat,append",
        ]
    )
    udp_ip, udp_port = host_port(engine, cp_name, "9090/udp")

    def received() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"pykind-udp\n", (udp_ip, udp_port))
        return "pykind-udp" in cp.run(["cat", "/tmp/udp.txt"], check=False).text

    eventually(received)


def test_api_server_endpoints(engine: EngineProvider, clusters: Clusters) -> None:
    cp = f"{clusters.main}-control-plane"
    ip, port = host_port(engine, cp, "6443/tcp")
    assert engine.api_server_endpoint(clusters.main) == f"{ip}:{port}"
    assert engine.api_server_internal_endpoint(clusters.main) == f"{cp}:6443"

    lb = f"{clusters.ha}-external-load-balancer"
    ip, port = host_port(engine, lb, "6443/tcp")
    assert engine.api_server_endpoint(clusters.ha) == f"{ip}:{port}"
    assert engine.api_server_internal_endpoint(clusters.ha) == f"{lb}:6443"
    # behind the load balancer, control planes publish on loopback, each on its own port
    ports = set()
    for name in (f"{clusters.ha}-control-plane", f"{clusters.ha}-control-plane2"):
        cp_ip, cp_port = host_port(engine, name, "6443/tcp")
        assert cp_ip == "127.0.0.1"
        ports.add(cp_port)
    assert len(ports) == 2 and port not in ports


# ---------------------------------------------------------------- mounts
def test_extra_mounts_are_visible_and_read_only_is_enforced(
    engine: EngineProvider, clusters: Clusters
) -> None:
    cp = clusters.nodes(engine, clusters.main)[f"{clusters.main}-control-plane"]
    for path in ("/mnt/rw", "/mnt/ro", "/mnt/rel"):
        assert cp.run(["cat", f"{path}/hello.txt"]).text == HELLO
    cp.run(["sh", "-c", "echo from-node > /mnt/rw/written.txt"])
    assert (clusters.mounts / "rw" / "written.txt").read_text() == "from-node\n"
    denied = cp.run(["sh", "-c", "echo x > /mnt/ro/nope.txt"], check=False)
    assert denied.returncode != 0
    assert not (clusters.mounts / "ro" / "nope.txt").exists()
    options = cp.run(["findmnt", "-n", "-o", "OPTIONS", "/mnt/ro"]).text.split(",")
    assert "ro" in options


def test_missing_mount_host_path_is_a_config_error(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path
) -> None:
    config = cluster_config(
        cluster_name,
        node_image,
        {"nodes": [{"extraMounts": [{"hostPath": "nope", "containerPath": "/mnt/x"}]}]},
    )
    from pykind.runtime.plan import plan_nodes

    with pytest.raises(ConfigError) as info:
        engine.provision(plan_nodes(config, config_dir=tmp_path))
    assert info.value.field == "nodes[0].extraMounts[0].hostPath"
    assert str(tmp_path / "nope") in str(info.value)
    assert engine.list_nodes(cluster_name) == []


# ---------------------------------------------------------------- exec
def _chunks(total: int, seed: bytes) -> Iterator[bytes]:
    block = hashlib.sha512(seed).digest() * 1024  # 64 KiB
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def test_exec_streams_a_large_stdin(engine: EngineProvider, clusters: Clusters) -> None:
    worker = clusters.nodes(engine, clusters.main)[f"{clusters.main}-worker"]
    expected = hashlib.sha256()
    for chunk in _chunks(50 * MB, b"pykind"):
        expected.update(chunk)
    result = worker.run(["sha256sum"], stdin=_chunks(50 * MB, b"pykind"))
    assert result.text.split()[0] == expected.hexdigest()


def test_exec_streams_files_both_ways(
    engine: EngineProvider, clusters: Clusters, tmp_path: Path
) -> None:
    worker = clusters.nodes(engine, clusters.main)[f"{clusters.main}-worker"]
    source = tmp_path / "in.bin"
    with source.open("wb") as f:
        for chunk in _chunks(8 * MB, b"file"):
            f.write(chunk)
    target = tmp_path / "out.bin"
    with source.open("rb") as stdin, target.open("wb") as stdout:
        result = worker.run(["cat"], stdin=stdin, stdout=stdout)
    assert result.stdout == b""
    assert target.read_bytes() == source.read_bytes()
    assert worker.run(["cat"], stdin=b"small input").stdout == b"small input"


def test_exec_reports_exit_codes_stderr_and_env(engine: EngineProvider, clusters: Clusters) -> None:
    cp = clusters.nodes(engine, clusters.main)[f"{clusters.main}-control-plane"]
    script = 'echo "out $PYKIND_X"; echo err >&2; exit 3'
    result = cp.run(["sh", "-c", script], env={"PYKIND_X": "y"}, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (3, b"out y\n", b"err\n")
    with pytest.raises(NodeCommandError) as info:
        cp.run(["sh", "-c", script])
    assert info.value.returncode == 3
    assert info.value.node == cp.name
    assert info.value.stderr == b"err\n"


# ---------------------------------------------------------------- listing
def test_listing_with_a_fresh_provider(engine: EngineProvider, clusters: Clusters) -> None:
    fresh = make_provider(engine.name)
    assert {clusters.main, clusters.ha} <= set(fresh.list_clusters())
    for cluster in (clusters.main, clusters.ha):
        mine = [(n.name, n.role, n.cluster) for n in engine.list_nodes(cluster)]
        theirs = [(n.name, n.role, n.cluster) for n in fresh.list_nodes(cluster)]
        assert mine == theirs
    assert fresh.list_nodes(random_name("t-none-")) == []


def test_two_clusters_side_by_side(engine: EngineProvider, clusters: Clusters) -> None:
    main = engine.list_nodes(clusters.main)
    ha = engine.list_nodes(clusters.ha)
    assert {n.name for n in main}.isdisjoint({n.name for n in ha})
    ips = [n.ip()[0] for n in [*main, *ha]]
    assert len(set(ips)) == len(ips)
    for node in [*main, *ha]:
        if node.role != "external-load-balancer":
            assert node.run(["cat", "/etc/hostname"]).text.strip() == node.name


# ---------------------------------------------------------------- lifecycle
def test_delete_leaves_nothing_the_cluster_owned(
    engine: EngineProvider, node_image: str, cluster_name: str, tracker: ClusterTracker
) -> None:
    nodes = tracker.provision(engine, cluster_config(cluster_name, node_image))
    volumes = [
        m["Name"]
        for node in nodes
        for m in inspect(engine, node.name)["Mounts"]
        if m["Type"] == "volume"
    ]
    assert volumes
    engine.delete_nodes(nodes)
    assert engine.list_nodes(cluster_name) == []
    assert cluster_name not in engine.list_clusters()
    for node in nodes:
        with pytest.raises(Exception) as info:
            engine.client.containers.get(node.name)
        assert engine._is_not_found(info.value)
    existing = {v.name for v in engine.client.volumes.list()}
    assert existing.isdisjoint(volumes)
    assert len(networks_named(engine, engine.network_name())) == 1  # shared: stays
    engine.delete_nodes(nodes)  # already gone: no error


def test_node_image_that_fails_to_boot_reports_its_logs(
    engine: EngineProvider, broken_image: str, cluster_name: str, tracker: ClusterTracker
) -> None:
    with pytest.raises(ProviderError) as info:
        tracker.provision(engine, cluster_config(cluster_name, broken_image))
    message = str(info.value)
    assert f"{cluster_name}-control-plane" in message
    assert "exited" in message
    assert "init failed on purpose" in message


def test_boot_wait_times_out_with_the_log_tail(
    engine: EngineProvider, cluster_name: str, tracker: ClusterTracker
) -> None:
    impatient = make_provider(engine.name, boot_timeout=3)
    # a plain Debian image: the container keeps running (a tty shell) but never boots systemd
    with pytest.raises(ProviderError) as info:
        tracker.provision(impatient, cluster_config(cluster_name, "debian:bookworm"))
    message = str(info.value)
    assert f"{cluster_name}-control-plane" in message
    assert "within 3s" in message


def test_missing_node_image_is_an_image_error(
    engine: EngineProvider, cluster_name: str, tracker: ClusterTracker
) -> None:
    with pytest.raises(ImageNotFoundError):
        tracker.provision(engine, cluster_config(cluster_name, "pykind-test/absent:never"))


# ---------------------------------------------------------------- images, info, logs
def test_image_id_pull_and_save(engine: EngineProvider, lb_image: str, broken_image: str) -> None:
    assert engine.image_id(lb_image)
    assert engine.image_id("pykind-test/absent:never") is None
    with pytest.raises(ImageNotFoundError) as info:
        engine.pull_image("pykind-test/absent:never")
    assert "pykind-test/absent:never" in str(info.value)

    stream = engine.save_images([lb_image, broken_image])
    assert not isinstance(stream, bytes | bytearray)
    reader = _IterReader(stream)
    with tarfile.open(fileobj=reader, mode="r|") as tar:
        manifest = None
        for member in tar:
            if member.name == "manifest.json":
                extracted = tar.extractfile(member)
                assert extracted is not None
                manifest = json.loads(extracted.read())
    assert manifest is not None and len(manifest) == 2
    tags = {
        t.split("/", 1)[-1] if t.startswith("localhost/") else t
        for m in manifest
        for t in m.get("RepoTags") or ()
    }
    assert {lb_image, broken_image} <= tags
    assert reader.largest_chunk <= 4 * MB


class _IterReader(io.RawIOBase):
    """A file object over a chunk iterator (records the largest chunk seen)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.largest_chunk = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return 0
            self.largest_chunk = max(self.largest_chunk, len(chunk))
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def test_info_and_collect_logs(engine: EngineProvider, clusters: Clusters, tmp_path: Path) -> None:
    info = engine.info()
    assert info.name == engine.name
    assert info.version
    assert info.endpoint == engine.endpoint
    nodes = engine.list_nodes(clusters.main)
    engine.collect_logs(tmp_path, nodes)
    assert json.loads((tmp_path / f"{engine.name}-info.txt").read_text())
    for node in nodes:
        inspected = json.loads((tmp_path / node.name / "inspect.json").read_text())
        assert inspected[0]["Config"]["Labels"][CLUSTER_LABEL] == clusters.main


def test_unreachable_engine_is_a_one_line_error(engine: EngineProvider) -> None:
    dead = make_provider(engine.name, endpoint="unix:///nonexistent/pykind/engine.sock")
    with pytest.raises(ProviderUnavailableError) as info:
        dead.list_clusters()
    message = str(info.value)
    assert "unix:///nonexistent/pykind/engine.sock" in message
    assert "\n" not in message
