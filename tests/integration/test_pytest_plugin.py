"""The ``kind_cluster`` pytest plugin once for real, on Docker with the TEST node image."""

from __future__ import annotations

import json

import pytest

from pykind.runtime.engine import EngineProvider
from pykind.runtime.labels import CLUSTER_LABEL

pytest_plugins = ["pytester"]
pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEST_FILE = """
import json
import pytest

NODES = {"nodes": [{"role": "control-plane"}, {"role": "worker"}]}

@pytest.mark.kind_cluster(name="CLUSTER_NAME", config=NODES)
def test_cluster(kind_cluster):
    with open("cluster.json", "w") as fh:
        json.dump({"name": kind_cluster.name}, fh)
    names = sorted(n.name for n in kind_cluster.nodes())
    assert names == [f"{kind_cluster.name}-control-plane", f"{kind_cluster.name}-worker"]
    # the stand-in kubectl in the control plane answers with the node's own name
    table = kind_cluster.kubectl("get", "nodes").text
    assert f"{kind_cluster.name}-control-plane" in table
    assert f"kind-{kind_cluster.name}" in kind_cluster.kubeconfig_path.read_text()

@pytest.mark.kind_cluster(name="CLUSTER_NAME", config=NODES)
def test_same_cluster(kind_cluster):
    assert len(kind_cluster.nodes()) == 2
"""


@pytest.mark.parametrize("engine", ["docker"], indirect=True)
def test_the_fixture_creates_and_deletes_a_real_cluster(
    engine: EngineProvider, node_image: str, cluster_name: str, pytester: pytest.Pytester
) -> None:
    # a tracked name: removed after this test even when the inner session dies half-way
    pytester.makepyfile(TEST_FILE.replace("CLUSTER_NAME", cluster_name))
    result = pytester.runpytest_subprocess(
        "--kind-provider", "docker", "--kind-image", node_image, "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)
    name = json.loads((pytester.path / "cluster.json").read_text())["name"]
    assert name == cluster_name
    # deleted at the end of the session, by label
    left = engine.client.containers.list(all=True, filters={"label": f"{CLUSTER_LABEL}={name}"})
    assert left == []
