"""Every verb has help; bare groups show help like cobra (exit 0)."""

from __future__ import annotations

import pytest

from tests.cli.fakes import Kind

# (argv, flags its help must list)
COMMANDS = [
    ((), ["--verbosity", "--quiet", "--version", "--disable-plugin"]),
    (("create",), ["cluster"]),
    (
        ("create", "cluster"),
        [
            "--name",
            "--config",
            "--image",
            "--retain",
            "--wait",
            "--kubeconfig",
            "--addon",
            "--strict-patches",
            "--cni",
            "--provider",
            "--verbosity",
            "--quiet",
        ],
    ),
    (("delete",), ["cluster", "clusters"]),
    (("delete", "cluster"), ["--name", "--kubeconfig", "--provider", "--quiet"]),
    (("delete", "clusters"), ["--all", "--kubeconfig", "--provider"]),
    (("get",), ["clusters", "nodes", "kubeconfig"]),
    (("get", "clusters"), ["--output", "--provider"]),
    (("get", "nodes"), ["--name", "--all-clusters", "--output", "--provider"]),
    (("get", "kubeconfig"), ["--name", "--internal", "--provider"]),
    (("export",), ["kubeconfig", "logs"]),
    (("export", "kubeconfig"), ["--name", "--internal", "--kubeconfig", "--provider"]),
    (("export", "logs"), ["--name", "OUTPUT-DIR", "--provider"]),
    (("load",), ["docker-image", "image-archive", "image"]),
    (("load", "docker-image"), ["--name", "--nodes", "--provider"]),
    (("load", "image-archive"), ["--name", "--nodes", "--provider"]),
    (("load", "image"), ["--name", "--nodes", "--provider"]),
    (("build",), ["node-image"]),
    (("build", "node-image"), ["--type", "--image", "--base-image", "--arch", "KUBERNETES-SOURCE"]),
    (("version",), ["--quiet"]),
    (("completion",), ["bash", "zsh", "fish", "powershell"]),
    (("completion", "bash"), ["--quiet"]),
    (("plugins",), ["--output"]),
    (("addon",), ["list", "show", "install", "remove"]),
    (("addon", "list"), ["--output"]),
    (("addon", "show"), ["NAME", "--output"]),
    (("addon", "install"), ["--name", "--set", "--provider"]),
    (("addon", "remove"), ["--name", "--provider"]),
    (("help",), ["COMMAND"]),
]


@pytest.mark.parametrize(("argv", "flags"), COMMANDS, ids=lambda v: " ".join(v) or "root")
@pytest.mark.parametrize("help_flag", ["--help", "-h"])
def test_help_lists_flags(
    kind: Kind, argv: tuple[str, ...], flags: list[str], help_flag: str
) -> None:
    result = kind(*argv, help_flag)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: kind")
    for flag in flags:
        assert flag in result.stdout, flag
    assert result.stderr == ""


@pytest.mark.parametrize("group", ["create", "delete", "get", "export", "load", "build", "addon"])
def test_bare_group_shows_help_and_succeeds(kind: Kind, group: str) -> None:
    result = kind(group)
    assert result.exit_code == 0
    assert f"Usage: kind {group}" in result.stdout


def test_bare_root_shows_help(kind: Kind) -> None:
    result = kind()
    assert result.exit_code == 0
    assert "Commands:" in result.stdout
    assert "create" in result.stdout


def test_root_help_lists_upstream_verbs_with_upstream_summaries(kind: Kind) -> None:
    out = kind("--help").stdout
    assert "Creates one of [cluster]" in out
    assert "Gets one of [clusters, nodes, kubeconfig]" in out
    assert "Exports one of [kubeconfig, logs]" in out
    assert "Prints the kind CLI version" in out


def test_help_command_shows_nested_help(kind: Kind) -> None:
    result = kind("help", "create", "cluster")
    assert result.exit_code == 0
    assert "Usage: kind create cluster" in result.stdout
    assert "--retain" in result.stdout


def test_help_command_unknown(kind: Kind) -> None:
    result = kind("help", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == 'ERROR: unknown command "nope" for "kind"'


def test_global_flags_accepted_everywhere(kind: Kind, world: object) -> None:
    for argv in (
        ["-q", "get", "clusters"],
        ["get", "-q", "clusters"],
        ["get", "clusters", "-q"],
        ["-v", "2", "get", "clusters", "-v", "1"],
        ["get", "clusters", "--verbosity=3", "--quiet"],
    ):
        result = kind(*argv)
        assert result.exit_code == 0, (argv, result.stderr)
