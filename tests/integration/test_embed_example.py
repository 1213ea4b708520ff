"""The library tour in the README (examples/embed.py) runs for real on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pykind.runtime.engine import EngineProvider
from tests.integration.helpers import ClusterTracker

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "embed.py"


def test_embed_example_creates_lists_and_deletes(
    engine: EngineProvider,
    node_image: str,
    cluster_name: str,
    tracker: ClusterTracker,
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "KUBECONFIG": str(tmp_path / "kubeconfig"),
        "KIND_EXPERIMENTAL_PROVIDER": engine.name,
    }
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--name", cluster_name, "--image", node_image],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"context: kind-{cluster_name}" in proc.stdout
    assert f"{cluster_name}-control-plane control-plane" in proc.stdout
    assert f"{cluster_name}-worker worker" in proc.stdout
    assert "Starting control-plane" in proc.stdout  # the recorded status events
    assert engine.list_nodes(cluster_name) == []  # deleted again
    assert f"kind-{cluster_name}" not in (tmp_path / "kubeconfig").read_text()
