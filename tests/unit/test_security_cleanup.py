"""A failed or interrupted create cleans up only what it created (unit level; the real-engine
proofs are tests/integration/test_concurrency.py and test_faults.py).

* Losing the name race (the provider finds the name taken while creating containers) deletes
  nothing: every container and kubeconfig entry of that name belongs to the winner.
* An interrupt while containers are being created waits for the engine requests in flight
  before the cleanup runs, so the cleanup sees (and removes) every container created.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import pykind.cluster.create as create_module
import pykind.runtime.engine as engine_module
from pykind import ClusterManager
from pykind.errors import ClusterExistsError, ProviderError, StepError
from pykind.plugin.manager import PykindPluginManager
from pykind.runtime.engine import EngineProvider
from pykind.testing.fakes import FakeProvider

pytest_plugins = ["pykind.testing.fixtures"]


@pytest.fixture(autouse=True)
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KIND_EXPERIMENTAL_PROVIDER", raising=False)
    return path


def test_losing_the_name_race_deletes_nothing_of_the_winner(
    plugin_manager: PykindPluginManager,
    fake_provider: FakeProvider,
    kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager = ClusterManager("fake", plugin_manager=plugin_manager)
    manager.create("dev")  # the winner
    winner = [n.name for n in fake_provider.list_nodes("dev")]
    # the loser passed the "already exists" check before the winner created anything ...
    monkeypatch.setattr(create_module, "ensure_absent", lambda provider, name: None)
    # ... and its provider then finds the name taken
    fake_provider.provision_error = ClusterExistsError(
        'node(s) already exist for a cluster with the name "dev"'
    )
    with pytest.raises(ClusterExistsError, match="already exist"):
        manager.create("dev")
    assert [n.name for n in fake_provider.list_nodes("dev")] == winner
    assert fake_provider.deleted == []
    contexts = [c["name"] for c in yaml.safe_load(kubeconfig.read_text())["contexts"]]
    assert contexts == ["kind-dev"]


def test_other_provisioning_failures_still_clean_up(
    plugin_manager: PykindPluginManager, fake_provider: FakeProvider
) -> None:
    manager = ClusterManager("fake", plugin_manager=plugin_manager)
    fake_provider.provision_error = ProviderError("port is already allocated")
    fake_provider.provision_fail_after = 1
    config = {"nodes": [{"role": "control-plane"}, {"role": "worker"}]}
    from pykind.config.models import ClusterConfig

    with pytest.raises(StepError, match="port is already allocated"):
        manager.create("dev", config=ClusterConfig.model_validate(config))
    assert fake_provider.list_nodes("dev") == []
    assert fake_provider.deleted == ["dev-control-plane"]


class Engineless(EngineProvider):
    name = "test"


def test_interrupt_waits_for_requests_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Engineless()
    finished: list[str] = []
    started = threading.Event()

    def create_container() -> None:  # an engine request that takes a moment
        started.set()
        time.sleep(0.3)
        finished.append("created")

    real_wait = engine_module.wait
    calls = 0

    def interrupted_wait(futures: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.wait(5)
            raise KeyboardInterrupt  # Ctrl-C while the request is in flight
        return real_wait(futures)

    monkeypatch.setattr(engine_module, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        provider._run_parallel([create_container])
    assert finished == ["created"]  # the cleanup after this sees the container


def test_interrupt_stops_boot_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Engineless(boot_timeout=600)
    monkeypatch.setattr(provider, "container_logs", lambda name: b"booting...")
    monkeypatch.setattr(provider, "_inspect", lambda name: {"State": {"Status": "running"}})
    real_wait = engine_module.wait
    calls = 0

    def interrupted_wait(futures: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyboardInterrupt
        return real_wait(futures)

    monkeypatch.setattr(engine_module, "wait", interrupted_wait)
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        provider._run_parallel([lambda: provider.wait_for_boot("n1")])
    assert time.monotonic() - began < 60  # not the 600 s boot timeout


def test_a_lost_name_wins_over_an_interrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted while the claim request was in flight, and the claim was lost: the error
    is ClusterExistsError, so the create deletes nothing of the winner's."""
    provider = Engineless()
    started = threading.Event()

    def claim() -> None:
        started.set()
        time.sleep(0.2)
        raise ClusterExistsError('node(s) already exist for a cluster with the name "dev"')

    real_wait = engine_module.wait
    calls = 0

    def interrupted_wait(futures: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.wait(5)
            raise KeyboardInterrupt
        return real_wait(futures)

    monkeypatch.setattr(engine_module, "wait", interrupted_wait)
    with pytest.raises(ClusterExistsError):
        provider._run_parallel([claim])
