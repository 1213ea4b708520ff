"""Safe defaults on the real engines: what a cluster publishes on the host, the warning for an
exposed API server, and the permissions of the files pykind writes (they hold credentials).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pykind.runtime.engine import EngineProvider
from tests.integration.helpers import ClusterTracker, cluster_config, inspect
from tests.integration.test_faults_plugin import PROCESS_LIMIT, Kind, kind_env, plugin_site

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def published(provider: EngineProvider, name: str, port: str) -> list[tuple[str, str]]:
    """(HostIp, HostPort) pairs the engine publishes for ``port`` (``"6443/tcp"``)."""
    bindings = inspect(provider, name)["NetworkSettings"]["Ports"].get(port) or []
    return [(b.get("HostIp", ""), str(b.get("HostPort", ""))) for b in bindings]


def test_api_server_on_loopback_and_port_mappings_on_all_addresses_by_default(
    engine: EngineProvider, node_image: str, cluster_name: str, tracker: ClusterTracker
) -> None:
    config = cluster_config(
        cluster_name,
        node_image,
        # no listenAddress: upstream's default is 0.0.0.0 (documented in docs/reliability.md)
        {"nodes": [{"role": "control-plane", "extraPortMappings": [{"containerPort": 80}]}]},
    )
    tracker.provision(engine, config)
    node = f"{cluster_name}-control-plane"
    api = published(engine, node, "6443/tcp")
    assert [ip for ip, _ in api] == ["127.0.0.1"]
    assert engine.api_server_endpoint(cluster_name).startswith("127.0.0.1:")
    mapped = published(engine, node, "80/tcp")
    assert [ip for ip, _ in mapped] == ["0.0.0.0"]
    # nothing else is published
    ports = inspect(engine, node)["NetworkSettings"]["Ports"]
    assert {p for p, b in ports.items() if b} == {"6443/tcp", "80/tcp"}


def test_exposed_api_server_address_is_warned_about_before_anything_runs(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path
) -> None:
    config = tmp_path / "exposed.yaml"
    config.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
        "networking:\n  apiServerAddress: 0.0.0.0\n"
    )
    env = kind_env(
        engine.name,
        plugin_site(tmp_path / "site"),
        tmp_path / "kubeconfig",
        # stop before any container exists: this test must not expose anything
        PYKIND_FAULT_FAIL="PREFLIGHT",
    )
    args = ["create", "cluster", "--name", cluster_name, "--image", node_image]
    run = Kind.start([*args, "--config", str(config)], env, tmp_path / "run")
    assert run.wait() == 1, run.stderr
    assert "WARNING: networking.apiServerAddress is 0.0.0.0, not a loopback address" in run.stderr
    assert "strongly recommended that you keep this the default (127.0.0.1)" in run.stderr
    assert run.stderr.index("WARNING") < run.stderr.index("ERROR")
    assert engine.list_nodes(cluster_name) == []


def test_files_with_credentials_are_private(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path
) -> None:
    """``create cluster`` and ``export kubeconfig`` create their files 0600 (they hold the
    cluster admin's key), ``export logs`` everything owner-only, even under the laxest umask
    a user could have."""
    kubeconfig = tmp_path / "created" / "config"
    env = kind_env(engine.name, plugin_site(tmp_path / "site"), kubeconfig)
    create = ["create", "cluster", "--name", cluster_name, "--image", node_image]
    assert kind_with_umask(create, env, tmp_path / "create") == 0
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    exported = tmp_path / "exported" / "config"
    export = ["export", "kubeconfig", "--name", cluster_name, "--kubeconfig", str(exported)]
    assert kind_with_umask(export, env, tmp_path / "export") == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    doc = yaml.safe_load(exported.read_text())
    assert doc["users"][0]["user"]["client-key-data"]  # yes, it holds the key
    # exported logs hold the node's kubeconfigs and certificates: owner-only too
    logs = tmp_path / "logs"
    export_logs = ["export", "logs", str(logs), "--name", cluster_name]
    assert kind_with_umask(export_logs, env, tmp_path / "export-logs") == 0
    collected = [logs, *logs.rglob("*")]
    assert any(p.name == "inspect.json" for p in collected)
    for path in collected:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {mode:o}"
    delete = ["delete", "cluster", "--name", cluster_name]
    assert kind_with_umask(delete, env, tmp_path / "delete") == 0


def kind_with_umask(args: list[str], env: dict[str, str], logs: Path, umask: int = 0) -> int:
    """Run ``kind args`` with ``umask``; its exit code (stderr printed on failure)."""
    logs.mkdir(parents=True)
    with (logs / "stderr").open("wb") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "pykind.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=PROCESS_LIMIT,
            preexec_fn=lambda: os.umask(umask),
        )
    if proc.returncode != 0:
        print((logs / "stderr").read_text())
    return proc.returncode
