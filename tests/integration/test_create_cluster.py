"""``create cluster`` end to end on real engines, with the TEST node image.

The node image runs systemd and containerd but only recording STAND-INS for kubeadm, kubectl
and kubelet (see tests/images/node): these tests check what pykind does — the commands it runs
in the nodes (``/kind/stand-in/calls.jsonl``), the files it writes, the containers, ports and
kubeconfig — never that a Kubernetes cluster works.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykind.cluster.context import StepContext
from pykind.cluster.manager import ClusterManager
from pykind.config.models import ClusterConfig
from pykind.errors import StepError
from pykind.plugin import hookimpl
from pykind.plugin.manager import create_plugin_manager
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.engine import EngineProvider
from pykind.runtime.protocols import Node
from pykind.status import RecordingStatus

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN = "--kubeconfig=/etc/kubernetes/admin.conf"
CALLS = "/kind/stand-in/calls.jsonl"


def calls(node: Node, tool: str | None = None) -> list[dict[str, Any]]:
    """The stand-ins' record of what ran in ``node``."""
    found = node.run(["cat", CALLS], check=False)
    entries = [json.loads(line) for line in found.text.splitlines() if line.strip()]
    return [e for e in entries if tool is None or e["tool"] == tool]


def argvs(node: Node, tool: str) -> list[list[str]]:
    return [e["argv"] for e in calls(node, tool)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def by_name(nodes: list[Node]) -> dict[str, Node]:
    return {n.name: n for n in nodes}


def manager_for(engine: EngineProvider, *plugins: object) -> ClusterManager:
    pm = create_plugin_manager(autoload=False, extra=list(plugins))
    return ClusterManager(engine, plugin_manager=pm, status=RecordingStatus())


def test_single_node_with_port_mapping_labels_and_kubeconfig(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    port = free_port()
    config = ClusterConfig.model_validate(
        {
            "name": cluster_name,
            "networking": {"podSubnet": "10.250.0.0/16"},
            "nodes": [
                {
                    "role": "control-plane",
                    "image": node_image,
                    "labels": {"pykind-test/tier": "frontend"},
                    "extraPortMappings": [
                        {"containerPort": 6443, "hostPort": port, "listenAddress": "127.0.0.1"}
                    ],
                }
            ],
        }
    )
    manager = manager_for(engine)
    result = manager.create(config=config, kubeconfig=kubeconfig, wait=30)

    assert result.name == cluster_name
    assert result.kubeconfig_path == kubeconfig
    (node,) = manager.list_nodes(cluster_name)
    assert node.name == f"{cluster_name}-control-plane"

    # kubeadm: the config pykind rendered, then upstream's init command line
    conf = {d["kind"]: d for d in yaml.safe_load_all(node.run(["cat", "/kind/kubeadm.conf"]).text)}
    assert conf["ClusterConfiguration"]["clusterName"] == cluster_name
    assert conf["ClusterConfiguration"]["networking"]["podSubnet"] == "10.250.0.0/16"
    init_args = {
        a["name"]: a["value"]
        for a in conf["InitConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]
    }
    assert "pykind-test/tier=frontend" in init_args["node-labels"]
    assert init_args["node-ip"] == node.ip()[0]
    assert argvs(node, "kubeadm") == [
        [
            "kubeadm",
            "init",
            "--skip-phases=preflight",
            "--config=/kind/kubeadm.conf",
            "--skip-token-print",
            "--v=6",
        ]
    ]
    # kubectl: untaint + unlabel (single node), CNI, storage, readiness poll — in this order
    kubectl = calls(node, "kubectl")
    verbs = [e["argv"][1:4] for e in kubectl]
    assert verbs[:4] == [
        [ADMIN, "taint", "nodes"],
        [ADMIN, "label", "nodes"],
        ["create", ADMIN, "-f"],
        [ADMIN, "apply", "-f"],
    ]
    assert kubectl[0]["argv"][-1] == "node-role.kubernetes.io/control-plane-"
    assert kubectl[1]["argv"][-1] == "node.kubernetes.io/exclude-from-external-load-balancers-"
    cni_manifest = kubectl[2]["stdin"]
    assert "10.250.0.0/16" in cni_manifest and "{{" not in cni_manifest
    assert f"{cluster_name}-control-plane:6443" in cni_manifest  # CONTROL_PLANE_ENDPOINT
    assert "StorageClass" in kubectl[3]["stdin"]
    assert any("--selector=node-role.kubernetes.io/control-plane" in e["argv"] for e in kubectl)

    # the port mapping reaches the node (its stand-in API server answers with its hostname)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        assert json.loads(resp.read())["node"] == node.name

    # kubeconfig: kind-<name> pointing at the published API server port
    doc = yaml.safe_load(kubeconfig.read_text())
    assert doc["current-context"] == f"kind-{cluster_name}"
    server = doc["clusters"][0]["cluster"]["server"]
    assert server == f"https://{engine.api_server_endpoint(cluster_name)}"

    # delete: containers and kubeconfig entries go, a second delete is a no-op
    assert manager.delete(cluster_name, kubeconfig=kubeconfig) == [node.name]
    assert engine.list_nodes(cluster_name) == []
    assert f"kind-{cluster_name}" not in kubeconfig.read_text()
    assert manager.delete(cluster_name, kubeconfig=kubeconfig) == []


def test_one_control_plane_and_three_workers(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path
) -> None:
    config = ClusterConfig.model_validate(
        {
            "name": cluster_name,
            "nodes": [{"role": "control-plane"}] + [{"role": "worker"}] * 3,
        }
    )
    manager = manager_for(engine)
    manager.create(config=config, image=node_image, kubeconfig=tmp_path / "kubeconfig")
    nodes = by_name(manager.list_nodes(cluster_name))
    cp = nodes.pop(f"{cluster_name}-control-plane")
    assert sorted(nodes) == [f"{cluster_name}-worker{s}" for s in ("", "2", "3")]
    assert argvs(cp, "kubeadm")[0][:2] == ["kubeadm", "init"]
    # more than one node: the control plane keeps its taint
    assert not any("taint" in a for a in argvs(cp, "kubectl"))
    for worker in nodes.values():
        assert argvs(worker, "kubeadm") == [
            [
                "kubeadm",
                "join",
                "--config",
                "/kind/kubeadm.conf",
                "--skip-phases=preflight",
                "--v=6",
            ]
        ]
        conf = {
            d["kind"]: d for d in yaml.safe_load_all(worker.run(["cat", "/kind/kubeadm.conf"]).text)
        }
        join = conf["JoinConfiguration"]
        assert "controlPlane" not in join
        assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == (
            f"{cluster_name}-control-plane:6443"
        )
        args = {a["name"]: a["value"] for a in join["nodeRegistration"]["kubeletExtraArgs"]}
        assert args["node-ip"] == worker.ip()[0]
    started = [m for k, m in manager.status.events if k == "start"]  # type: ignore[attr-defined]
    assert "Joining worker nodes 🚜" in started
    assert "Joining more control-plane nodes 🎮" not in started


class FailAfterInit:
    """A test plugin: a step right after kubeadm-init that fails."""

    @hookimpl
    def pykind_create_steps(self) -> list[CreateStep]:
        def fail(ctx: StepContext) -> None:
            raise RuntimeError("injected failure")

        return [CreateStep(name="injected-failure", phase=Phase.KUBEADM_INIT, run=fail)]


@pytest.mark.parametrize("retain", [False, True], ids=["cleanup", "retain"])
def test_failure_in_the_middle_cleans_up_unless_retain(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path, retain: bool
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    manager = manager_for(engine, FailAfterInit())
    with pytest.raises(StepError) as info:
        manager.create(cluster_name, image=node_image, kubeconfig=kubeconfig, retain=retain)
    assert info.value.step == "injected-failure"
    assert "injected failure" in str(info.value)
    assert not kubeconfig.exists() or f"kind-{cluster_name}" not in kubeconfig.read_text()
    left = engine.list_nodes(cluster_name)
    if retain:
        (node,) = left
        # the steps before the failure did run in the kept node
        assert argvs(node, "kubeadm")[0][:2] == ["kubeadm", "init"]
    else:
        assert left == []
