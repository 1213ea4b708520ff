"""Fixtures for engine-backed tests.

* ``engine`` — a node provider per engine (docker, podman); skipped when the engine does not
  answer, or failed when ``PYKIND_REQUIRE_ENGINES=1``.
* ``engine_name`` — that provider's name ("docker" or "podman"), also the engine's command.
* ``node_image`` / ``lb_image`` / ``broken_image`` / ``registry_image`` — test images built once
  per engine.
* ``cluster_name`` — a unique ``t-<random>`` name whose containers are removed after the test.
* ``tracker`` / ``module_tracker`` — record clusters and networks to remove at teardown
  (function / module scope), even when the test fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pykind.runtime.engine import EngineProvider
from tests.integration.helpers import ClusterTracker, make_provider, random_name

REQUIRE_ENV = "PYKIND_REQUIRE_ENGINES"


def _reachable(provider: EngineProvider) -> str | None:
    """None when the engine answers, else why not."""
    from pykind.errors import PykindError

    try:
        provider.list_clusters()
    except PykindError as exc:
        return str(exc)
    return None


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("podman", marks=pytest.mark.podman),
    ],
)
def engine(request: pytest.FixtureRequest) -> EngineProvider:
    """The provider under test (one per engine)."""
    provider = make_provider(str(request.param))
    problem = _reachable(provider)
    if problem is not None:
        message = f"{request.param} is not reachable: {problem}"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(message)
        pytest.skip(message)
    return provider


@pytest.fixture(scope="session")
def engine_name(engine: EngineProvider) -> str:
    """The name of ``engine`` ("docker" or "podman"), which is also its command."""
    return engine.name


def _build(engine: EngineProvider, name: str) -> str:
    from tests.images.build import build_image

    return build_image(engine.name, name)


@pytest.fixture(scope="session")
def node_image(engine: EngineProvider) -> str:
    """The test node image (systemd, containerd, stand-ins) for ``engine``."""
    return _build(engine, "node")


@pytest.fixture(scope="session")
def lb_image(engine: EngineProvider) -> str:
    """The test load-balancer image (haproxy) for ``engine``."""
    return _build(engine, "haproxy")


@pytest.fixture(scope="session")
def broken_image(engine: EngineProvider) -> str:
    """A node image whose init exits at once (never boots)."""
    return _build(engine, "broken")


@pytest.fixture(scope="session")
def registry_image(engine: EngineProvider) -> str:
    """The test registry image (Debian's docker-registry)."""
    return _build(engine, "registry")


def _cleanup(tracker: ClusterTracker) -> None:
    errors = tracker.cleanup()
    if errors:
        pytest.fail("cleanup failed: " + "; ".join(errors))


@pytest.fixture
def tracker() -> Iterator[ClusterTracker]:
    """Clusters/networks created by one test, removed after it."""
    t = ClusterTracker()
    yield t
    _cleanup(t)


@pytest.fixture(scope="module")
def module_tracker() -> Iterator[ClusterTracker]:
    """Clusters/networks shared by a module's tests, removed after the module."""
    t = ClusterTracker()
    yield t
    _cleanup(t)


@pytest.fixture
def cluster_name(engine: EngineProvider, tracker: ClusterTracker) -> str:
    """A unique cluster name; whatever carries its label is removed after the test."""
    return tracker.track(engine, random_name())
