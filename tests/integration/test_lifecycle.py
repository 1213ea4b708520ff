"""Day-2 operations on real engines: add and remove nodes on an HA cluster behind the haproxy
test load balancer, stop and start clusters (Docker and Podman).

TEST images only: control planes run a STAND-IN API server (see tests/images/node). These tests
check what pykind does — containers, kubeadm configs and commands, the load balancer's config
and where it forwards, address rewriting after a restart — never that Kubernetes works.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykind.cluster.manager import ClusterManager
from pykind.config.models import ClusterConfig
from pykind.errors import PykindError
from pykind.lifecycle.containers import container_control
from pykind.lifecycle.recover import IPS_RECORD
from pykind.loadbalancer import haproxy
from pykind.plugin.manager import create_plugin_manager
from pykind.runtime.engine import EngineProvider
from pykind.runtime.protocols import Node
from pykind.status import RecordingStatus
from tests.integration.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CALLS = "/kind/stand-in/calls.jsonl"
JOIN = ["kubeadm", "join", "--config", "/kind/kubeadm.conf", "--skip-phases=preflight", "--v=6"]


def calls(node: Node, tool: str) -> list[dict[str, Any]]:
    found = node.run(["cat", CALLS], check=False)
    entries = [json.loads(line) for line in found.text.splitlines() if line.strip()]
    return [e for e in entries if e["tool"] == tool]


def kubeadm_docs(node: Node) -> dict[str, dict[str, Any]]:
    text = node.run(["cat", "/kind/kubeadm.conf"]).text
    return {d["kind"]: d for d in yaml.safe_load_all(text) if d}


def kubelet_args(doc: dict[str, Any]) -> dict[str, str]:
    args = doc["nodeRegistration"]["kubeletExtraArgs"]
    return {a["name"]: a["value"] for a in args} if isinstance(args, list) else dict(args)


def answering_node(endpoint: str) -> str:
    """The node whose stand-in API server answers ``https://endpoint/``."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"https://{endpoint}/", timeout=5, context=context) as resp:
        return str(json.loads(resp.read())["node"])


def eventually_answers(endpoint: str, wanted: str) -> None:
    """Poll the load balancer until ``wanted`` has answered (round robin over healthy ones)."""
    eventually(lambda: answering_node(endpoint) == wanted, timeout=120, interval=0.3)


def start_api_servers(*nodes: Node) -> None:
    """The test image's API server stand-in is no static pod: after a restart, start it as
    the kubelet would start kube-apiserver."""
    for node in nodes:
        node.run(["systemctl", "start", "stand-in-apiserver.service"])


def by_name(manager: ClusterManager, cluster: str) -> dict[str, Node]:
    return {n.name: n for n in manager.list_nodes(cluster)}


@pytest.fixture
def haproxy_lb(lb_image: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PYKIND_LOADBALANCER", "haproxy")
    monkeypatch.setenv("PYKIND_LOADBALANCER_IMAGE", lb_image)
    return lb_image


def make_manager(engine: EngineProvider, status: RecordingStatus | None = None) -> ClusterManager:
    return ClusterManager(
        engine, plugin_manager=create_plugin_manager(autoload=False), status=status
    )


def test_grow_shrink_stop_and_start_an_ha_cluster(
    engine: EngineProvider,
    node_image: str,
    haproxy_lb: str,
    cluster_name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    manager = make_manager(engine)
    config = ClusterConfig.model_validate(
        {"name": cluster_name, "nodes": [{"role": "control-plane"}] * 2}
    )
    manager.create(config=config, image=node_image, kubeconfig=kubeconfig)
    # the flavour is read from the running load balancer, not the environment
    monkeypatch.delenv("PYKIND_LOADBALANCER")
    lb_name = f"{cluster_name}-external-load-balancer"
    cp1, cp2, cp3 = (f"{cluster_name}-control-plane{s}" for s in ("", "2", "3"))
    endpoint = engine.api_server_endpoint(cluster_name)

    # ---- a worker, with labels
    added = manager.add_node(cluster_name, role="worker", labels={"tier": "db"})
    worker_name = f"{cluster_name}-worker"
    assert added.name == worker_name
    assert added.image.removeprefix("localhost/") == node_image  # podman qualifies local names
    nodes = by_name(manager, cluster_name)
    worker = nodes[worker_name]
    assert [c["argv"] for c in calls(worker, "kubeadm")] == [JOIN]
    join = kubeadm_docs(worker)["JoinConfiguration"]
    token = join["discovery"]["bootstrapToken"]
    assert token["apiServerEndpoint"] == f"{lb_name}:6443"
    assert kubelet_args(join)["node-labels"] == "tier=db"
    assert kubelet_args(join)["node-ip"] == worker.ip()[0]
    created = [
        c["argv"] for c in calls(nodes[cp1], "kubeadm") if c["argv"][1:3] == ["token", "create"]
    ]
    assert created and created[-1][3] == token["token"]
    assert worker.run(["test", "-f", IPS_RECORD], check=False).returncode == 0

    # ---- a third control plane: joins through the load balancer, which then includes it
    status = RecordingStatus()
    manager.status = status
    assert manager.add_node(cluster_name, role="control-plane").name == cp3
    nodes = by_name(manager, cluster_name)
    assert [c["argv"] for c in calls(nodes[cp3], "kubeadm")] == [JOIN]
    assert "controlPlane" in kubeadm_docs(nodes[cp3])["JoinConfiguration"]
    ca = nodes[cp1].run(["cat", "/etc/kubernetes/pki/ca.crt"]).stdout
    assert nodes[cp3].run(["cat", "/etc/kubernetes/pki/ca.crt"]).stdout == ca
    lb = nodes[lb_name]
    text = lb.run(["cat", haproxy.CONFIG_PATH]).text
    for name in (cp1, cp2, cp3):
        assert f"server {name} {nodes[name].ip()[0]}:6443 check" in text
    assert lb.run(["haproxy", "-c", "-f", haproxy.CONFIG_PATH], check=False).returncode == 0
    assert "Loading failure" not in lb.serial_logs().decode().split("Reloading HAProxy")[-1]
    assert ("start", "Configuring the external load balancer ⚖️") in status.events
    eventually_answers(endpoint, cp3)

    # ---- remove the second control plane: drained, reset, deleted, out of the balancer
    manager.remove_node(cp2)
    nodes = by_name(manager, cluster_name)
    assert sorted(nodes) == sorted([cp1, cp3, lb_name, worker_name])
    kubectl = [c["argv"] for c in calls(nodes[cp1], "kubectl")]
    assert ["kubectl", "--kubeconfig=/etc/kubernetes/admin.conf", "drain", cp2] == kubectl[-2][:4]
    assert kubectl[-1][2:5] == ["delete", "node", cp2]
    text = nodes[lb_name].run(["cat", haproxy.CONFIG_PATH]).text
    assert f"server {cp2} " not in text and f"server {cp3} " in text
    with pytest.raises(PykindError, match="load balancer"):
        manager.remove_node(lb_name)

    # ---- stop: everything down; start: everything up, addresses handled, LB re-pointed
    control = container_control(engine)
    manager.stop(cluster_name)
    assert not any(control.is_running(n) for n in nodes)
    result = manager.start(cluster_name, wait=60)
    assert all(control.is_running(n) for n in nodes)
    assert result.changed[0] == lb_name and result.changed[-1] == worker_name
    nodes = by_name(manager, cluster_name)
    for name, pairs in result.ip_changes.items():
        conf = nodes[name].run(["cat", "/kind/kubeadm.conf"]).text
        assert all(old not in conf for old, _ in pairs)
        assert (
            kubelet_args(kubeadm_docs(nodes[name])["JoinConfiguration"])["node-ip"]
            == (nodes[name].ip()[0])
        )
    text = nodes[lb_name].run(["cat", haproxy.CONFIG_PATH]).text
    for name in (cp1, cp3):
        assert f"server {name} {nodes[name].ip()[0]}:6443 check" in text
    for node in (nodes[cp1], nodes[cp3], nodes[worker_name]):
        record = json.loads(node.run(["cat", IPS_RECORD]).text)
        assert record["ipv4"] == node.ip()[0]
    # the published API server endpoint survives the restart and reaches the control planes
    assert engine.api_server_endpoint(cluster_name) == endpoint
    start_api_servers(nodes[cp1], nodes[cp3])
    eventually_answers(endpoint, cp1)
    eventually_answers(endpoint, cp3)


def test_stop_start_a_single_node_cluster(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path
) -> None:
    manager = make_manager(engine)
    manager.create(cluster_name, image=node_image, kubeconfig=tmp_path / "kubeconfig")
    node_name = f"{cluster_name}-control-plane"
    endpoint = engine.api_server_endpoint(cluster_name)
    with pytest.raises(PykindError, match="single control plane without a load balancer"):
        manager.add_node(cluster_name, role="control-plane")
    assert [n.name for n in manager.list_nodes(cluster_name)] == [node_name]

    control = container_control(engine)
    stopped = manager.stop(cluster_name, timeout=20)
    assert stopped.changed == (node_name,) and not control.is_running(node_name)
    assert manager.stop(cluster_name).changed == ()
    started = manager.start(cluster_name, wait=60)
    assert started.changed == (node_name,) and control.is_running(node_name)
    node = manager.list_nodes(cluster_name)[0]
    state = node.run(["systemctl", "is-system-running"], check=False).text.strip()
    assert state in ("running", "degraded")
    assert engine.api_server_endpoint(cluster_name) == endpoint
    start_api_servers(node)
    eventually(lambda: answering_node(endpoint) == node_name, timeout=120)
