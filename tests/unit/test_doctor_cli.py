"""``kind doctor`` run stand-alone over the fake provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pykind.cli.app import build_cli
from pykind.cli.doctor import render
from pykind.doctor.result import CheckResult, failed, noted, passed, warned
from pykind.plugin.manager import create_plugin_manager
from pykind.testing.fakes import FakeProvider
from pykind.testing.fixtures import FakeProviderPlugin


@pytest.fixture(autouse=True)
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    provider = FakeProvider()
    pm = create_plugin_manager(autoload=False, extra=[FakeProviderPlugin(provider)])
    monkeypatch.setattr("pykind.cluster.manager.get_plugin_manager", lambda: pm)
    # under the root CLI's state (its persistent flags create it), plugins load through it
    monkeypatch.setattr("pykind.cli.state.load_plugin_manager", lambda blocked: pm)
    return provider


def kind(*args: str) -> Any:
    return CliRunner().invoke(build_cli(), ["doctor", *args], prog_name="kind")


def test_render() -> None:
    results: list[CheckResult] = [
        passed("a", "fine"),
        failed("b", "broken", "fix it"),
        warned("c", "meh", "tune it"),
        noted("d", "skipped", "try this"),
    ]
    assert render(results) == [
        "✓ fine",
        "✗ broken",
        "    → fix it",
        "! meh",
        "    → tune it",
        "! skipped",
        "    → try this",
    ]


def test_healthy_fake_exits_zero() -> None:
    result = kind("--provider", "fake")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("✓ fake ")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_a_port_in_use_fails_with_exit_1(tmp_path: Path, busy_port: int) -> None:
    config = tmp_path / "kind.yaml"
    config.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n"
        f"  extraPortMappings:\n  - containerPort: 80\n    hostPort: {busy_port}\n"
        "    listenAddress: 127.0.0.1\n"
    )
    result = kind("--provider", "fake", "--config", str(config))
    assert result.exit_code == 1
    assert f"✗ host port 127.0.0.1:{busy_port}/tcp is already in use by " in result.output
    data = json.loads(kind("--provider", "fake", "--config", str(config), "-o", "json").stdout)
    port = next(d for d in data if d["name"] == f"port {busy_port}/tcp")
    assert (port["ok"], port["severity"], port["symbol"]) == (False, "error", "✗")


def test_unknown_provider_and_bad_config() -> None:
    result = kind("--provider", "nope")
    assert result.exit_code == 1
    assert "✗ no usable node provider: unknown provider 'nope'" in result.output
    bad = kind("--provider", "fake", "--config", "/does/not/exist.yaml")
    assert bad.exit_code == 1 and "failed to run the checks" in bad.output
