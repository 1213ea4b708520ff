"""The ``preflight`` create step fails before any container exists."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from pykind import ClusterManager
from pykind.config.models import ClusterConfig
from pykind.errors import ConfigError, StepError
from pykind.plugin.manager import BUILTIN_PLUGINS, create_plugin_manager
from pykind.testing.fakes import FakeProvider
from pykind.testing.fixtures import FakeProviderPlugin

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))


def manager(provider: FakeProvider, *blocked: str) -> ClusterManager:
    pm = create_plugin_manager(
        autoload=False, blocked=list(blocked), extra=[FakeProviderPlugin(provider)]
    )
    return ClusterManager(provider, plugin_manager=pm)


def config(host_port: int) -> ClusterConfig:
    return ClusterConfig.model_validate(
        {
            "nodes": [
                {"role": "control-plane"},
                {
                    "role": "worker",
                    "extraPortMappings": [
                        {"containerPort": 80, "hostPort": host_port, "listenAddress": "127.0.0.1"}
                    ],
                },
            ]
        }
    )


def test_preflight_is_a_builtin_step() -> None:
    assert "pykind.doctor.preflight" in BUILTIN_PLUGINS
    steps = create_plugin_manager(autoload=False).create_steps()
    assert [s.name for s in steps][:3] == ["check-patches", "preflight", "ensure-images"]


def test_a_port_in_use_fails_before_any_container(busy_port: int) -> None:
    provider = FakeProvider()
    with pytest.raises(StepError) as info:
        manager(provider).create("busy", config=config(busy_port))
    assert info.value.step == "preflight"
    cause = info.value.__cause__
    assert isinstance(cause, ConfigError)
    assert cause.field == "nodes[1].extraPortMappings[0].hostPort"
    assert f"127.0.0.1:{busy_port}/tcp is already in use by" in str(info.value)
    assert f"(pid {os.getpid()})" in str(info.value)
    assert provider.events == []  # nothing provisioned, nothing pulled


def test_rootless_engines_and_privileged_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pykind.doctor.ports.unprivileged_port_start", lambda proc=None: 1024)
    provider = FakeProvider(rootless=True)
    with pytest.raises(StepError, match=r"sudo sysctl net\.ipv4\.ip_unprivileged_port_start=80"):
        manager(provider).create("low", config=config(80))
    assert provider.events == []


def test_free_ports_pass_and_the_step_can_be_disabled(busy_port: int) -> None:
    provider = FakeProvider()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    manager(provider).create("free", config=config(free))
    assert provider.list_clusters() == ["free"]
    manager(provider, "pykind.doctor.preflight").create("off", config=config(busy_port))
    assert "off" in provider.list_clusters()
