"""The registry add-on on real engines: a registry container on the cluster network, an image
pushed from the host engine and pulled by containerd inside a node, for real (the registry is
Debian's docker-registry from the TEST registry image; nodes are the TEST node image)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pykind.addons import remove_addon
from pykind.cluster.manager import ClusterManager
from pykind.config.models import ClusterConfig
from tests.integration.helpers import free_port, stand_in_calls

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def engine_cli(engine: str, *args: str) -> str:
    result = subprocess.run([engine, *args], capture_output=True, check=False, timeout=300)
    assert result.returncode == 0, (args, result.stderr.decode(errors="replace"))
    return result.stdout.decode()


def container_exists(engine: str, name: str) -> bool:
    result = subprocess.run(
        [engine, "container", "inspect", name], capture_output=True, check=False
    )
    return result.returncode == 0


@pytest.fixture
def setup(engine_name: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Names for one test; the cluster, the registry container and the pushed tags are removed
    afterwards whatever happened."""
    cluster = f"t-{uuid.uuid4().hex[:6]}"
    made = {
        "cluster": cluster,
        "registry": f"{cluster}-registry",
        "port": free_port(),
        "manager": ClusterManager(engine_name),
        "kubeconfig": tmp_path / "kubeconfig",
        "tags": [],
    }
    try:
        yield made
    finally:
        manager = made["manager"]
        try:
            manager.delete(cluster, kubeconfig=made["kubeconfig"])
        finally:
            left = manager.provider.list_nodes(cluster)
            if left:
                manager.provider.delete_nodes(left)
            if container_exists(engine_name, made["registry"]):
                subprocess.run([engine_name, "rm", "-f", made["registry"]], capture_output=True)
            for tag in made["tags"]:
                subprocess.run([engine_name, "rmi", tag], capture_output=True)


def test_push_from_host_pull_in_node(
    engine_name: str,
    node_image: str,
    registry_image: str,
    setup: dict[str, Any],
    tmp_path: Path,
) -> None:
    manager: ClusterManager = setup["manager"]
    cluster, registry, port = setup["cluster"], setup["registry"], setup["port"]
    options = {"image": registry_image, "name": registry, "host_port": port}
    config = ClusterConfig.model_validate(
        {"nodes": [{"role": "control-plane", "image": node_image}]}
    )
    manager.create(
        cluster, config=config, kubeconfig=setup["kubeconfig"], addons={"registry": options}
    )

    # the registry runs, published on the host port and attached to the nodes' network
    assert container_exists(engine_name, registry)
    networks = json.loads(
        engine_cli(engine_name, "inspect", "-f", "{{json .NetworkSettings.Networks}}", registry)
    )
    node = next(n for n in manager.provider.list_nodes(cluster) if n.role == "control-plane")
    node_networks = json.loads(
        engine_cli(engine_name, "inspect", "-f", "{{json .NetworkSettings.Networks}}", node.name)
    )
    assert set(node_networks) <= set(networks)

    # the node's containerd aliases localhost:<port> to the registry container
    hosts = node.run(["cat", f"/etc/containerd/certs.d/localhost:{port}/hosts.toml"]).text
    assert hosts == f'[host."http://{registry}:5000"]\n'
    assert "config_path" in node.run(["cat", "/etc/containerd/config.toml"]).text
    hosting = [c for c in stand_in_calls(node) if "local-registry-hosting" in c.get("stdin", "")]
    assert len(hosting) == 1 and f'host: "localhost:{port}"' in hosting[0]["stdin"]

    # push from the host engine ...
    context = tmp_path / "image"
    context.mkdir()
    marker = uuid.uuid4().hex
    (context / "hello.txt").write_text(marker)
    (context / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    local, remote = (
        f"pykind-addon-test/pushed:{marker[:8]}",
        f"localhost:{port}/pushed:{marker[:8]}",
    )
    setup["tags"] += [local, remote]
    engine_cli(engine_name, "build", "-q", "-t", local, str(context))
    engine_cli(engine_name, "tag", local, remote)
    push = ["push", remote] if engine_name == "docker" else ["push", "--tls-verify=false", remote]
    engine_cli(engine_name, *push)

    # ... and pull it with containerd inside the node, through the hosts.toml alias
    node.run(
        [
            "ctr",
            "--namespace=k8s.io",
            "images",
            "pull",
            "--hosts-dir",
            "/etc/containerd/certs.d",
            remote,
        ]
    )
    listed = node.run(["ctr", "--namespace=k8s.io", "images", "ls", "-q"]).text.split()
    assert remote in listed

    # removal deletes the container and the node alias
    remove_addon(manager, cluster, "registry", {"name": registry, "host_port": port})
    assert not container_exists(engine_name, registry)
    gone = node.run(["test", "-e", f"/etc/containerd/certs.d/localhost:{port}"], check=False)
    assert gone.returncode != 0
