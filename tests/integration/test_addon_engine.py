"""Add-ons on real engines with the TEST node image (recording stand-ins, not Kubernetes).

What is real: the node containers, their port mappings and kubelet flags, containerd and the
images loaded into it, and the kubectl commands (with their stdin) the add-ons run in the node,
which the stand-in kubectl records in /kind/stand-in/calls.jsonl.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pykind.addons import install_addon, remove_addon
from pykind.cluster.manager import ClusterManager
from pykind.config.models import ClusterConfig
from pykind.runtime.protocols import Node
from tests.integration.helpers import free_port, stand_in_calls

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KUBECTL = ["kubectl", "--kubeconfig=/etc/kubernetes/admin.conf"]
PRELOADED = "pykind-addon-test/preloaded:1"
ABSENT = "pykind-addon-test/absent:1"


def build_tiny_image(engine: str, tag: str, tmp: Path) -> None:
    """A one-file image built from scratch (nothing is pulled)."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "hello.txt").write_text(f"{tag}\n")
    (tmp / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    result = subprocess.run(
        [engine, "build", "-q", "-t", tag, str(tmp)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")


def kubectl_calls(node: Node, verb: str) -> list[dict[str, Any]]:
    return [c for c in stand_in_calls(node) if c["tool"] == "kubectl" and verb in c["argv"]]


def containerd_images(node: Node) -> list[str]:
    return node.run(["ctr", "--namespace=k8s.io", "images", "ls", "-q"]).text.split()


def http_get(url: str, wait_s: float = 60.0) -> bytes:
    """GET ``url`` on the loopback, retrying while the listener starts."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body: bytes = response.read()
                return body
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class Cluster:
    """A test cluster made by the ClusterManager; deleted on exit whatever happened."""

    def __init__(self, engine: str, node_image: str, tmp: Path) -> None:
        self.name = f"t-{uuid.uuid4().hex[:6]}"
        self.manager = ClusterManager(engine)
        self.kubeconfig = tmp / "kubeconfig"
        self.node_image = node_image

    def config(self) -> ClusterConfig:
        return ClusterConfig.model_validate(
            {"nodes": [{"role": "control-plane", "image": self.node_image}]}
        )

    def node(self) -> Node:
        nodes = self.manager.provider.list_nodes(self.name)
        nodes = [n for n in nodes if n.role == "control-plane"]
        assert nodes, f"cluster {self.name} has no control-plane node"
        return nodes[0]

    def delete(self) -> None:
        try:
            self.manager.delete(self.name, kubeconfig=self.kubeconfig)
        finally:
            provider = self.manager.provider
            left = provider.list_nodes(self.name)
            if left:
                provider.delete_nodes(left)


@pytest.fixture
def cluster(engine_name: str, node_image: str, tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(engine_name, node_image, tmp_path)
    try:
        yield made
    finally:
        made.delete()


@pytest.fixture
def manifest(engine_name: str, tmp_path: Path) -> Path:
    """A stand-in controller manifest: one image the engine has, one it does not."""
    build_tiny_image(engine_name, PRELOADED, tmp_path / "image-context")
    path = tmp_path / "deploy.yaml"
    path.write_text(
        "apiVersion: v1\n"
        "kind: Namespace\n"
        "metadata:\n"
        "  name: ingress-nginx\n"
        "---\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: ingress-nginx-controller\n"
        "  namespace: ingress-nginx\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: controller\n"
        f"        image: {PRELOADED}\n"
        "      - name: sidecar\n"
        f"        image: {ABSENT}\n"
    )
    return path


def test_ingress_nginx_on_a_real_cluster(cluster: Cluster, manifest: Path) -> None:
    http_port, https_port = free_port(), free_port()
    options = {
        "manifest": str(manifest),
        "http_port": http_port,
        "https_port": https_port,
        "listen_address": "127.0.0.1",
    }
    result = cluster.manager.create(
        cluster.name,
        config=cluster.config(),
        kubeconfig=cluster.kubeconfig,
        addons={"ingress-nginx": options},
    )
    node = cluster.node()

    # prepare: the label reaches the kubelet, the ports are published on the host
    flags = node.run(["cat", "/var/lib/kubelet/kubeadm-flags.env"]).text
    assert "ingress-ready=true" in flags
    node.run(
        [
            "systemd-run",
            "--unit=pykind-addon-probe",
            "python3",
            "-m",
            "http.server",
            "80",
            "--directory",
            "/kind",
        ]
    )
    assert http_get(f"http://127.0.0.1:{http_port}/version").strip() == b"v1.36.1"

    # images: the engine's image is in containerd, the absent one is named in a warning
    assert any(ref.endswith(PRELOADED) for ref in containerd_images(node))
    assert any(ABSENT in w and "not preloaded" in w for w in result.warnings)

    # install: the manifest went to kubectl apply on stdin, then upstream's wait
    applied = [
        c for c in kubectl_calls(node, "apply") if "ingress-nginx-controller" in c.get("stdin", "")
    ]
    assert [c["stdin"] for c in applied] == [manifest.read_text()]
    assert applied[0]["argv"] == [*KUBECTL, "apply", "-f", "-"]
    waits = kubectl_calls(node, "wait")
    assert [c["argv"] for c in waits] == [
        [
            *KUBECTL,
            "wait",
            "--namespace=ingress-nginx",
            "--for=condition=ready",
            "pod",
            "--selector=app.kubernetes.io/component=controller",
            "--timeout=90s",
        ]
    ]

    # remove, then contour on the same (existing) cluster: apply, kind's envoy patch, rollouts
    remove_addon(cluster.manager, cluster.name, "ingress-nginx", {"manifest": str(manifest)})
    deletes = kubectl_calls(node, "delete")
    assert deletes and deletes[-1]["stdin"] == manifest.read_text()
    install_addon(cluster.manager, cluster.name, "contour", {"manifest": str(manifest)})
    patches = kubectl_calls(node, "patch")
    assert len(patches) == 1
    assert patches[0]["argv"][2:6] == ["patch", "daemonsets", "--namespace=projectcontour", "envoy"]
    patch = json.loads(patches[0]["argv"][-1])
    assert patch["spec"]["template"]["spec"]["nodeSelector"] == {"ingress-ready": "true"}
    rollouts = [c["argv"][3:6] for c in kubectl_calls(node, "rollout")]
    assert rollouts == [
        ["status", "--namespace=projectcontour", "deployment/contour"],
        ["status", "--namespace=projectcontour", "daemonset/envoy"],
    ]
