"""Errors: one ``ERROR: ...`` line (plus upstream's Command Output), exit 1, no traceback."""

from __future__ import annotations

import pytest

from pykind.errors import (
    ConfigError,
    NodeCommandError,
    ProviderUnavailableError,
    StepError,
)
from tests.cli.fakes import FakeManager, Kind, World


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--foo"], "unknown flag: --foo"),
        (["get", "clusters", "--foo"], "unknown flag: --foo"),
        (["create", "cluster", "--nmae", "x"], "unknown flag: --nmae"),
        (["get", "clusters", "-x"], "unknown shorthand flag: 'x' in -x"),
        (["get", "nodes", "--name"], "flag needs an argument: --name"),
        (["get", "nodes", "-n"], "flag needs an argument: 'n' in -n"),
        (["frobnicate"], 'unknown command "frobnicate" for "kind"'),
        (["get", "pods"], 'unknown command "pods" for "kind get"'),
        (["delete", "clusters"], "no cluster names provided"),
    ],
)
def test_usage_errors_are_one_error_line(
    kind: Kind, world: World, argv: list[str], message: str
) -> None:
    result = kind(*argv)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"ERROR: {message}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "clusters", "extra"],
        ["get", "clusters", "-o", "yaml"],
        ["-v", "abc", "version"],
        ["create", "cluster", "--wait", "soon"],
        ["build", "node-image", "--type", "bazel"],
        ["export", "logs", "a", "b"],
    ],
)
def test_bad_values_are_one_error_line(kind: Kind, world: World, argv: list[str]) -> None:
    result = kind(*argv)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "argv", [["get", "clusters"], ["create", "cluster"], ["delete", "cluster"], ["get", "nodes"]]
)
def test_unknown_provider_flag(kind: Kind, world: World, argv: list[str]) -> None:
    result = kind(*argv, "--provider", "bogus")
    assert result.exit_code == 1
    assert result.stderr == "ERROR: unknown provider 'bogus'; choose one of: docker, podman\n"
    assert world.called("create") == world.called("delete") == []


def test_unknown_provider_env(kind: Kind, world: World) -> None:
    result = kind("get", "clusters", env={"KIND_EXPERIMENTAL_PROVIDER": "bogus"})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "ERROR: unknown provider 'bogus'; choose one of: docker, podman"
    )


def test_bad_config(kind: Kind, world: World, tmp_path: object) -> None:
    world.fail["create"] = ConfigError(
        "must be one of control-plane, worker", field="nodes[1].role"
    )
    result = kind("create", "cluster")
    assert result.exit_code == 1
    assert result.stderr == (
        "ERROR: failed to create cluster: nodes[1].role: must be one of control-plane, worker\n"
    )


def test_node_command_error_shows_command_output(kind: Kind, world: World) -> None:
    cause = NodeCommandError(
        ["kubeadm", "init"], 1, b"", b"[preflight] it broke\n", node="kind-control-plane"
    )
    error = StepError("kubeadm-init", "failed to init node with kubeadm")
    error.__cause__ = cause
    world.fail["create"] = error
    result = kind("create", "cluster")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "ERROR: failed to create cluster: failed to init node with kubeadm: command "
        "'kubeadm init' failed on node 'kind-control-plane' with exit code 1",
        "",
        "Command Output: [preflight] it broke",
    ]


def test_status_line_fails_before_error(kind: Kind, world: World) -> None:
    world.create_steps = ()
    base = FakeManager.create

    def create(self: FakeManager, name: str | None = None, **kwargs: object) -> object:
        from pykind.status import step

        with step(self.status, "Starting control-plane 🕹️"):
            raise ProviderUnavailableError("engine went away")
        return base(self, name, **kwargs)  # pragma: no cover

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "create", create)
        result = kind("create", "cluster")
    assert result.stderr.splitlines() == [
        'Creating cluster "kind" ...',
        " • Starting control-plane 🕹️  ...",
        " ✗ Starting control-plane 🕹️",
        "ERROR: failed to create cluster: engine went away",
    ]


def test_library_error_without_wrapping(kind: Kind, world: World) -> None:
    world.fail["list_clusters"] = ProviderUnavailableError(
        "cannot reach docker at unix:///var/run/docker.sock"
    )
    result = kind("get", "clusters")
    assert result.exit_code == 1
    assert result.stderr == "ERROR: cannot reach docker at unix:///var/run/docker.sock\n"


def test_unexpected_error_hint_without_traceback(kind: Kind, world: World) -> None:
    world.fail["list_clusters"] = RuntimeError("boom")
    result = kind("get", "clusters")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "ERROR: unexpected error: RuntimeError: boom"
    assert "-v 1" in lines[1]
    assert "Traceback" not in result.stderr


def test_verbose_error_has_traceback(kind: Kind, world: World) -> None:
    world.fail["list_clusters"] = RuntimeError("boom")
    result = kind("get", "clusters", "-v", "1")
    assert result.exit_code == 1
    assert result.stderr.startswith("ERROR: unexpected error: RuntimeError: boom\n")
    assert "Stack Trace: Traceback (most recent call last):" in result.stderr
    assert "raise error" in result.stderr


def test_verbose_library_error_has_traceback(kind: Kind, world: World) -> None:
    world.fail["list_clusters"] = ProviderUnavailableError("down")
    result = kind("-v", "1", "get", "clusters")
    assert result.stderr.startswith("ERROR: down\n")
    assert "ProviderUnavailableError" in result.stderr


def test_keyboard_interrupt_exits_130(kind: Kind, world: World) -> None:
    base = FakeManager.create

    def create(self: FakeManager, name: str | None = None, **kwargs: object) -> object:
        from pykind.status import step

        with step(self.status, "Preparing nodes 📦"):
            raise KeyboardInterrupt
        return base(self, name, **kwargs)  # pragma: no cover

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FakeManager, "create", create)
        result = kind("create", "cluster")
    assert result.exit_code == 130
    assert " ✗ Preparing nodes 📦" in result.stderr
    assert result.stderr.rstrip().endswith("ERROR: interrupted")
    assert "Traceback" not in result.stderr


def test_quiet_still_reports_errors(kind: Kind, world: World) -> None:
    world.fail["list_clusters"] = ProviderUnavailableError("down")
    result = kind("-q", "get", "clusters")
    assert result.exit_code == 1
    assert result.stderr == "ERROR: down\n"


def test_missing_feature_is_a_plain_error(kind: Kind, world: World) -> None:
    world.fail["load_images"] = NotImplementedError(
        "pykind.images.load_images is not available in this pykind"
    )
    result = kind("load", "docker-image", "nginx")
    assert result.exit_code == 1
    assert result.stderr == ("ERROR: pykind.images.load_images is not available in this pykind\n")


def test_command_output_not_repeated(kind: Kind, world: World) -> None:
    """A step error that already quotes the output (the pipeline does) is printed as is."""
    cause = NodeCommandError(["kubeadm", "init"], 1, b"it broke\n")
    error = StepError(
        "kubeadm-init",
        f'create step "kubeadm-init" failed: {cause}\n\nCommand Output: it broke',
    )
    error.__cause__ = cause
    world.fail["create"] = error
    result = kind("create", "cluster")
    assert result.stderr.count("Command Output: it broke") == 1
    assert result.stderr.startswith(
        'ERROR: failed to create cluster: create step "kubeadm-init" failed: command'
    )
