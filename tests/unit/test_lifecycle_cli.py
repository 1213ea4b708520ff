"""``kind add node``, ``remove node``, ``stop``, ``start`` run stand-alone over the fake."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pykind.cli import lifecycle as cli
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
    make_cluster(fake, "dev")
    return fake


def invoke(command: click.Command, *args: str) -> click.testing.Result:
    return CliRunner().invoke(command, [*args, "--provider", "fake"])


def test_add_and_remove_node(provider: PowerFakeProvider) -> None:
    added = invoke(cli.add, "node", "--name", "dev", "--labels", "tier=db, zone=a")
    assert added.exit_code == 0, added.output
    assert 'Added node "dev-worker" (worker, local/node:v1)' in added.output
    assert " ✓ Joining worker node dev-worker 🚜" in added.output
    removed = invoke(cli.remove, "node", "dev-worker")
    assert removed.exit_code == 0, removed.output
    assert 'Removed node "dev-worker" from cluster "dev"' in removed.output
    assert provider.deleted == ["dev-worker"]


def test_errors_are_one_clear_line(provider: PowerFakeProvider) -> None:
    result = invoke(cli.add, "node", "--name", "dev", "--role", "control-plane")
    assert result.exit_code == 1
    assert (
        'failed to add a node to cluster "dev": cluster dev has a single control plane '
        "without a load balancer; create it with 2+ control planes to add more"
    ) in result.output
    assert "Traceback" not in result.output
    bad = invoke(cli.add, "node", "--labels", "novalue")
    assert bad.exit_code == 2 and "label 'novalue' is not key=value" in bad.output


def test_progress_json_writes_events_to_stdout(provider: PowerFakeProvider) -> None:
    result = CliRunner().invoke(
        cli.add, ["node", "-n", "dev", "--progress", "json", "--provider", "fake"]
    )
    assert result.exit_code == 0, result.stderr
    events = parse_events(result.stdout)
    assert ("start", "Joining worker node dev-worker 🚜") in [
        (e["event"], e["message"]) for e in events
    ]
    assert "Added node" in result.stderr


def test_stop_and_start(provider: PowerFakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIND_CLUSTER_NAME", "dev")
    stopped = invoke(cli.stop)
    assert stopped.exit_code == 0, stopped.output
    assert " ✓ Stopping control-plane nodes ⏹️" in stopped.output
    assert invoke(cli.stop).output.endswith('Cluster "dev" was already stopped\n')
    started = invoke(cli.start, "--wait", "1m")
    assert started.exit_code == 0, started.output
    assert " ✓ Waiting for nodes to be Ready ⏳" in started.output
    assert 'Cluster "dev" was already running' in invoke(cli.start).output
    missing = invoke(cli.stop, "--name", "nope")
    assert missing.exit_code == 1 and 'no nodes found for cluster "nope"' in missing.output


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0s", 0.0), ("90s", 90.0), ("1m30s", 90.0), ("2h", 7200.0), ("250ms", 0.25), ("12", 12.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert cli.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "m", "1m30", "s1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        cli.parse_duration(text)
