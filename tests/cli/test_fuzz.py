"""Random argument lists: the CLI exits 0 or 1 and never shows a raw traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pykind.cli.commands.export as export_module
from tests.cli.fakes import Kind, World

COMMANDS = [
    [],
    ["create"],
    ["create", "cluster"],
    ["delete", "cluster"],
    ["delete", "clusters"],
    ["get"],
    ["get", "clusters"],
    ["get", "nodes"],
    ["get", "kubeconfig"],
    ["export", "kubeconfig"],
    ["export", "logs"],
    ["load", "docker-image"],
    ["load", "image-archive"],
    ["load", "image"],
    ["build", "node-image"],
    ["version"],
    ["completion", "zsh"],
    ["plugins"],
    ["addon", "list"],
    ["help"],
    ["nonsense"],
]
FLAGS = [
    "-v",
    "--verbosity",
    "-q",
    "--quiet",
    "--loglevel",
    "--name",
    "-n",
    "--config",
    "--image",
    "--retain",
    "--wait",
    "--kubeconfig",
    "--addon",
    "--strict-patches",
    "--provider",
    "--all",
    "-A",
    "--all-clusters",
    "-o",
    "--output",
    "--internal",
    "--nodes",
    "--type",
    "--base-image",
    "--arch",
    "--disable-plugin",
    "--set",
    "-x",
    "--bogus",
    "--",
    "-",
]
VALUES = [
    "0",
    "1",
    "3",
    "-1",
    "60s",
    "5m30s",
    "1.5h",
    "abc",
    "docker",
    "podman",
    "bogus",
    "json",
    "wide",
    "yaml",
    "kind",
    "a,b",
    "x:y=1",
    "x:y",
    "release",
    "debug",
    "",
]
TOKEN = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from(VALUES),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=8),
)


def _no_raw_traceback(text: str) -> bool:
    """Tracebacks appear only in the deliberate ``-v`` form ``Stack Trace: Traceback ...``."""
    marker = "Traceback (most recent call last)"
    return text.count(marker) == text.count("Stack Trace: " + marker)


@pytest.fixture
def fuzz_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the fuzzed CLI away from temp dirs (and, through the fakes, from engines)."""
    monkeypatch.setattr(export_module, "mkdtemp", lambda prefix="": str(tmp_path))
    monkeypatch.chdir(tmp_path)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(command=st.sampled_from(COMMANDS), rest=st.lists(TOKEN, max_size=6))
def test_random_arguments(
    kind: Kind, world: World, fuzz_env: None, command: list[str], rest: list[str]
) -> None:
    world.add_cluster("kind")
    result = kind(*command, *rest)
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1), (command + rest, output)
    assert _no_raw_traceback(output), (command + rest, output)
    assert "unexpected error" not in output, (command + rest, output)
    if result.exit_code == 1:
        assert any(line.startswith("ERROR: ") for line in result.stderr.splitlines()), (
            command + rest,
            output,
        )
