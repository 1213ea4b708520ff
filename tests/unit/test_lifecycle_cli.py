"""``kind add node``, ``remove node``, ``stop``, ``start`` through the root CLI, over the fake."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pykind.cli.app import build_cli
from pykind.events import parse_events
from pykind.plugin.manager import create_plugin_manager
from pykind.testing.fixtures import FakeProviderPlugin
from tests.unit.lifecycle_support import PowerFakeProvider, make_cluster


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PowerFakeProvider:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KIND_CLUSTER_NAME", raising=False)
    fake = PowerFakeProvider()
    pm = create_plugin_manager(autoload=False, extra=[FakeProviderPlugin(fake)])
    monkeypatch.setattr("pykind.cluster.manager.get_plugin_manager", lambda: pm)
    # under the root CLI's state (its persistent flags create it), plugins load through it
    monkeypatch.setattr("pykind.cli.state.load_plugin_manager", lambda blocked: pm)
    make_cluster(fake, "dev")
    return fake


def invoke(*args: str) -> click.testing.Result:
    """``kind ARGS --provider fake``."""
    return CliRunner().invoke(build_cli(), [*args, "--provider", "fake"], prog_name="kind")


def test_add_and_remove_node(provider: PowerFakeProvider) -> None:
    added = invoke("add", "node", "--name", "dev", "--labels", "tier=db, zone=a")
    assert added.exit_code == 0, added.output
    assert 'Added node "dev-worker" (worker, local/node:v1)' in added.output
    assert " ✓ Joining worker node dev-worker 🚜" in added.output
    removed = invoke("remove", "node", "dev-worker")
    assert removed.exit_code == 0, removed.output
    assert 'Removed node "dev-worker" from cluster "dev"' in removed.output
    assert provider.deleted == ["dev-worker"]


def test_errors_are_one_clear_line(provider: PowerFakeProvider) -> None:
    result = invoke("add", "node", "--name", "dev", "--role", "control-plane")
    assert result.exit_code == 1
    assert (
        'failed to add a node to cluster "dev": cluster dev has a single control plane '
        "without a load balancer; create it with 2+ control planes to add more"
    ) in result.output
    assert "Traceback" not in result.output
    bad = invoke("add", "node", "--labels", "novalue")
    assert bad.exit_code == 1 and "label 'novalue' is not key=value" in bad.output


def test_progress_json_writes_events_to_stdout(provider: PowerFakeProvider) -> None:
    result = invoke("add", "node", "-n", "dev", "--progress", "json")
    assert result.exit_code == 0, result.stderr
    events = parse_events(result.stdout)
    assert ("start", "Joining worker node dev-worker 🚜") in [
        (e["event"], e["message"]) for e in events
    ]
    assert "Added node" in result.stderr


def test_stop_and_start(provider: PowerFakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIND_CLUSTER_NAME", "dev")
    stopped = invoke("stop")
    assert stopped.exit_code == 0, stopped.output
    assert " ✓ Stopping control-plane nodes ⏹️" in stopped.output
    assert invoke("stop").output.endswith('Cluster "dev" was already stopped\n')
    started = invoke("start", "--wait", "1m")
    assert started.exit_code == 0, started.output
    assert " ✓ Waiting for nodes to be Ready ⏳" in started.output
    assert 'Cluster "dev" was already running' in invoke("start").output
    missing = invoke("stop", "--name", "nope")
    assert missing.exit_code == 1 and 'no nodes found for cluster "nope"' in missing.output


def test_commands_are_registered_lazily() -> None:
    from pykind.cli.app import BUILTIN_COMMANDS

    assert BUILTIN_COMMANDS["add"][0] == "pykind.cli.lifecycle:add"
    assert BUILTIN_COMMANDS["doctor"][0] == "pykind.cli.doctor:doctor"
    shown = CliRunner().invoke(build_cli(), ["--help"], prog_name="kind").output
    for name, summary in [
        ("add", "Adds one of [node]"),
        ("remove", "Removes one of [node]"),
        ("start", "Starts a stopped cluster's containers"),
        ("stop", "Stops a cluster's containers"),
        ("doctor", "Checks this machine can run kind clusters"),
    ]:
        assert f"  {name}" in shown and summary in shown
    bare = CliRunner().invoke(build_cli(), ["add"], prog_name="kind")
    assert bare.exit_code == 0 and "node  Adds a node to a running cluster" in bare.output
