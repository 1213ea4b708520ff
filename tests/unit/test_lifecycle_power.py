"""``stop`` / ``start`` over the in-memory provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pykind.errors import ProviderError, PykindError
from pykind.lifecycle import power, start_cluster, stop_cluster
from pykind.lifecycle.containers import container_control
from pykind.lifecycle.recover import IPS_RECORD
from pykind.status import RecordingStatus
from pykind.testing.fakes import FakeProvider
from tests.unit.lifecycle_support import PowerFakeProvider, make_cluster


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYKIND_LOADBALANCER", raising=False)


@pytest.fixture
def provider() -> PowerFakeProvider:
    return PowerFakeProvider()


def test_stop_goes_workers_control_planes_load_balancer(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "ha", control_planes=2, workers=2)
    status = RecordingStatus()

    result = stop_cluster(provider, "ha", status=status)

    assert [e for e in provider.power_events] == [
        ("stop", "ha-worker"),
        ("stop", "ha-worker2"),
        ("stop", "ha-control-plane"),
        ("stop", "ha-control-plane2"),
        ("stop", "ha-external-load-balancer"),
    ]
    assert result.changed == tuple(name for _, name in provider.power_events)
    starts = [m for kind, m in status.events if kind == "start"]
    assert starts == [
        "Recording node addresses 📝",
        "Stopping worker nodes ⏹️",
        "Stopping control-plane nodes ⏹️",
        "Stopping the external load balancer ⏹️",
    ]
    # every Kubernetes node recorded its address before it stopped
    for name in ("ha-control-plane", "ha-control-plane2", "ha-worker", "ha-worker2"):
        node = provider.node(name)
        assert json.loads(node.text(IPS_RECORD)) == {"ipv4": node.ipv4, "ipv6": node.ipv6}
    again = stop_cluster(provider, "ha")
    assert again.changed == () and len(again.unchanged) == 5


def test_start_goes_load_balancer_control_planes_workers(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "ha", control_planes=2, workers=1)
    stop_cluster(provider, "ha")
    provider.power_events.clear()

    result = start_cluster(provider, "ha")

    assert provider.power_events == [
        ("start", "ha-external-load-balancer"),
        ("start", "ha-control-plane"),
        ("start", "ha-control-plane2"),
        ("start", "ha-worker"),
    ]
    assert result.ip_changes == {}
    assert provider.node("ha-worker").commands("systemctl", "is-system-running")
    assert not provider.node("ha-external-load-balancer").commands("systemctl")
    assert start_cluster(provider, "ha").changed == ()


def test_changed_addresses_are_rewritten_and_the_load_balancer_repointed(
    provider: PowerFakeProvider,
) -> None:
    make_cluster(provider, "ha", control_planes=2, workers=1)
    stop_cluster(provider, "ha")
    old = {n.name: n.ipv4 for n in provider.fake_nodes("ha")}
    provider.renumber = True
    status = RecordingStatus()

    result = start_cluster(provider, "ha", status=status)

    worker = provider.node("ha-worker")
    assert worker.ipv4 != old["ha-worker"]
    assert result.ip_changes["ha-worker"][0] == (old["ha-worker"], worker.ipv4)
    sed = worker.commands("sed")
    escaped = old["ha-worker"].replace(".", "\\.")
    assert sed[0][:3] == ("sed", "-i", f"s#\\b{escaped}\\b#{worker.ipv4}#g")
    assert "/kind/kubeadm.conf" in sed[0]
    assert worker.commands("systemctl", "restart", "kubelet")
    assert json.loads(worker.text(IPS_RECORD))["ipv4"] == worker.ipv4
    cds = provider.node("ha-external-load-balancer").text("/home/envoy/cds.yaml")
    assert f'"{provider.node("ha-control-plane").ipv4}"' in cds
    assert f'"{old["ha-control-plane"]}"' not in cds
    assert any("etcd members keep their old peer addresses" in w for w in result.warnings)


def test_without_a_record_the_kubeadm_config_tells_the_old_address(
    provider: PowerFakeProvider,
) -> None:
    make_cluster(provider, "dev")
    node = provider.node("dev-control-plane")
    old = node.ipv4
    assert IPS_RECORD not in node.files  # never stopped through pykind
    provider.running[node.name] = False  # e.g. the host rebooted
    provider.renumber = True

    result = start_cluster(provider, "dev")

    assert result.ip_changes == {"dev-control-plane": ((old, node.ipv4),)}
    assert result.warnings == ()


def test_wait_polls_node_readiness(
    provider: PowerFakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_cluster(provider, "dev", workers=1)
    cp = provider.node("dev-control-plane")
    assert start_cluster(provider, "dev", wait=30).warnings == ()
    asked = [c for c in cp.commands("kubectl") if "get" in c and "nodes" in c]
    assert {c[5] for c in asked} >= {"dev-control-plane", "dev-worker"}

    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr("pykind.lifecycle.nodes.monotonic", lambda: float(next(clock)))
    monkeypatch.setattr("pykind.lifecycle.nodes.sleep", lambda s: None)
    cp.on(["kubectl", "--request-timeout=1s"], stdout="False")
    result = start_cluster(provider, "dev", wait=30)
    assert result.warnings == ("timed out waiting for the nodes to be Ready",)


def test_boot_timeout_names_the_node(
    provider: PowerFakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_cluster(provider, "dev")
    stop_cluster(provider, "dev")
    provider.node("dev-control-plane").on(["systemctl", "is-system-running"], stdout="starting")
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr(power, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(power, "sleep", lambda s: None)
    with pytest.raises(
        ProviderError, match=r"'dev-control-plane' did not finish booting.*starting"
    ):
        start_cluster(provider, "dev", boot_timeout=30)


def test_sed_expression_only_takes_addresses() -> None:
    assert power._sed_expression("10.0.0.2", "10.0.0.3") == "s#\\b10\\.0\\.0\\.2\\b#10.0.0.3#g"
    assert power._sed_expression("fc00::2", "fc00::3") == "s#\\bfc00::2\\b#fc00::3#g"
    with pytest.raises(ValueError):
        power._sed_expression("10.0.0.2#e", "x")


def test_providers_without_power_control_are_refused() -> None:
    plain = FakeProvider()
    plain.add_node("dev", "dev-control-plane", "control-plane")
    with pytest.raises(PykindError, match="cannot stop or start"):
        container_control(plain)
    with pytest.raises(PykindError, match="cannot stop or start"):
        stop_cluster(plain, "dev")


def test_manager_delegates(provider: PowerFakeProvider) -> None:
    manager = make_cluster(provider, "dev")
    assert manager.stop("dev").changed == ("dev-control-plane",)
    assert manager.start("dev").changed == ("dev-control-plane",)
