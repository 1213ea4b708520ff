"""provision() reads the engine facts while it ensures the network (``docker info`` is slow),
and a failure there is left for whoever needs the facts."""

from __future__ import annotations

import threading

import pytest

from pykind.errors import ProviderError
from pykind.runtime.protocols import ProviderInfo
from tests.unit.test_provider_engine import StubProvider, plan


class FactsProvider(StubProvider):
    def __init__(self, *, fail: bool = False, needs_facts: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.needs_facts = needs_facts
        self.loads: list[str] = []
        self.network_started = threading.Event()
        self.overlapped = False

    def _load_info(self) -> ProviderInfo:
        self.loads.append(threading.current_thread().name)
        if self.fail:
            raise ProviderError("cannot read engine facts")
        self.overlapped = self.network_started.wait(5)
        return ProviderInfo(name=self.name)

    def _ensure_network(self, name: str) -> None:
        self.network_started.set()
        super()._ensure_network(name)

    def _needs_fuse(self) -> bool:
        return self.info().rootless if self.needs_facts else False


def test_facts_are_read_once_alongside_the_network() -> None:
    p = FactsProvider(needs_facts=True)
    p.provision(plan())
    assert p.networks == ["kind"]
    assert len(p.loads) == 1 and p.loads[0].startswith("pykind-info")
    assert p.overlapped  # the network was being ensured while the facts were read
    assert [r.name for r in p.created] == ["c1-control-plane"]


def test_a_failed_read_ahead_is_reported_by_whoever_needs_the_facts() -> None:
    p = FactsProvider(fail=True, needs_facts=True)
    with pytest.raises(ProviderError, match="cannot read engine facts"):
        p.provision(plan())
    assert len(p.loads) == 2  # ahead (ignored), then for the plan (raised)
    assert p.created == []


def test_a_failed_read_ahead_is_harmless_when_nobody_needs_the_facts() -> None:
    p = FactsProvider(fail=True)
    p.provision(plan())
    assert [r.name for r in p.created] == ["c1-control-plane"]
