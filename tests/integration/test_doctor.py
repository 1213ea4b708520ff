"""``kind doctor`` and the create preflight on real engines (Docker and Podman)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pykind.cli.app import build_cli
from pykind.cluster.manager import ClusterManager
from pykind.config.models import ClusterConfig
from pykind.doctor import run_checks
from pykind.doctor.engine import PROBE_LABEL
from pykind.errors import ConfigError, StepError
from pykind.plugin.manager import create_plugin_manager
from pykind.runtime.engine import EngineProvider

pytestmark = [pytest.mark.integration]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A TCP port this test process listens on (all interfaces)."""
    sock = socket.socket()
    sock.bind(("0.0.0.0", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def probe_containers(engine: EngineProvider) -> list[str]:
    found = engine.client.containers.list(all=True, filters={"label": PROBE_LABEL})
    return [c.name for c in found]


def test_a_healthy_engine_passes(engine: EngineProvider, node_image: str) -> None:
    config = ClusterConfig.model_validate(
        {"nodes": [{"role": "control-plane", "image": node_image}]}
    )
    results = {r.name: r for r in run_checks(engine, config)}
    assert results["engine"].ok and engine.name in results["engine"].message
    assert results["engine-version"].ok
    # the probe ran from the node image (present in the engine) and left nothing behind
    assert results["privileged"].ok
    assert node_image in results["privileged"].message
    assert probe_containers(engine) == []
    assert results["disk"].name == "disk"
    assert not [r for r in results.values() if r.failed]


def test_a_port_in_use_is_named_by_doctor_and_stops_create(
    engine: EngineProvider, node_image: str, cluster_name: str, busy_port: int, tmp_path: Path
) -> None:
    config_file = tmp_path / "kind.yaml"
    config_file.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
        f"- role: control-plane\n  image: {node_image}\n  extraPortMappings:\n"
        f"  - containerPort: 80\n    hostPort: {busy_port}\n"
    )
    args = ["doctor", "--provider", engine.name, "--config", str(config_file), "--no-privileged"]
    result = CliRunner().invoke(build_cli(), args, prog_name="kind")
    assert result.exit_code == 1, result.output
    assert f"✗ host port 0.0.0.0:{busy_port}/tcp is already in use by " in result.output
    assert f"(pid {os.getpid()})" in result.output

    manager = ClusterManager(engine, plugin_manager=create_plugin_manager(autoload=False))
    with pytest.raises(StepError) as info:
        manager.create(cluster_name, config=config_file, kubeconfig=tmp_path / "kubeconfig")
    assert info.value.step == "preflight"
    assert isinstance(info.value.__cause__, ConfigError)
    assert info.value.__cause__.field == "nodes[0].extraPortMappings[0].hostPort"
    assert engine.list_nodes(cluster_name) == []  # failed before any container existed
