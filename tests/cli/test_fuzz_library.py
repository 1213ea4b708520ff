"""The command line over the REAL library (config loading, validation, the create pipeline,
kubeconfig merging) and the in-memory provider, fed hostile values: every run ends with exit
0 or 1, a rejection is one ``ERROR: ...`` line naming the problem, never a traceback; and what
pykind writes stays where it was asked to write.

(tests/cli/test_fuzz.py fuzzes argument *shapes* over a fake library; this one fuzzes
*values* all the way down.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykind.cli import state as state_module
from pykind.cli.app import build_cli
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from pykind.testing.fakes import FakeProvider
from pykind.testing.fixtures import FakeProviderPlugin

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = [
    "$(touch pwned)",
    "`touch pwned`",
    "a;touch pwned",
    "a b",
    "a\nb",
    "'",
    '"',
    "../../x",
    "a:b",
    "a,b",
    "-rf",
    "--help",
    "é",
    "☃",
    "\u202e",
    "",
    "kind",
    "ok-name",
]
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12),
)


class Env:
    """A fresh in-memory engine per run; HOME and the working folder in a temporary folder."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.provider = FakeProvider()
        self.monkeypatch = monkeypatch

        def load(blocked: list[str]) -> PykindPluginManager:
            return create_plugin_manager(
                autoload=False, blocked=blocked, extra=[FakeProviderPlugin(self.provider)]
            )

        monkeypatch.setattr(state_module, "load_plugin_manager", load)

    def kind(self, *args: str, stdin: str | None = None) -> Result:
        self.provider = FakeProvider()
        env = {
            "HOME": str(self.root),
            "KUBECONFIG": str(self.root / "kubeconfig"),
            "KIND_EXPERIMENTAL_PROVIDER": "fake",
            "KIND_CLUSTER_NAME": None,
        }
        return CliRunner().invoke(build_cli(), list(args), input=stdin, env=env, prog_name="kind")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.chdir(tmp_path)
    yield Env(tmp_path, monkeypatch)


def check(result: Result, args: object) -> None:
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1), (args, output, result.exception)
    assert "Traceback" not in output, (args, output)
    assert "unexpected error" not in output, (args, output)
    if result.exit_code == 1:
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
        assert len(errors) == 1, (args, output)
        assert len(errors[0]) > len("ERROR: ") + 5, (args, output)


def nothing_injected(root: Path) -> None:
    assert not list(root.rglob("pwned")), "a shell ran something"
    assert not Path("pwned").exists()


@FUZZ
@given(name=HOSTILE, image=HOSTILE | st.just("kindest/node:v1.36.1"))
def test_create_with_hostile_name_and_image(env: Env, name: str, image: str) -> None:
    result = env.kind("create", "cluster", "--name", name, "--image", image)
    check(result, (name, image))
    nothing_injected(env.root)
    if result.exit_code == 0:
        name = name or "kind"  # empty means the default
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        doc = yaml.safe_load((env.root / "kubeconfig").read_text())
        assert doc["current-context"] == f"kind-{name}"


@FUZZ
@given(
    label_key=HOSTILE,
    label_value=HOSTILE,
    host_path=HOSTILE,
    container_path=HOSTILE | st.builds(lambda s: "/" + s, HOSTILE),
    listen=HOSTILE | st.sampled_from(["127.0.0.1", "::1", "0.0.0.0"]),
)
def test_create_with_hostile_config_values(
    env: Env, label_key: str, label_value: str, host_path: str, container_path: str, listen: str
) -> None:
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [
            {
                "role": "control-plane",
                "labels": {label_key: label_value},
                "extraMounts": [{"hostPath": host_path, "containerPath": container_path}],
                "extraPortMappings": [{"containerPort": 80, "listenAddress": listen}],
            }
        ],
    }
    path = env.root / "cluster.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    result = env.kind("create", "cluster", "--config", str(path))
    check(result, config)
    nothing_injected(env.root)


@FUZZ
@given(text=st.text(max_size=300) | st.sampled_from(["{", "- a", "kind: Cluster\n\t", "*x"]))
def test_create_with_any_config_text_on_stdin(env: Env, text: str) -> None:
    result = env.kind("create", "cluster", "--config", "-", stdin=text)
    check(result, text)


@FUZZ
@given(name=HOSTILE, verb=st.sampled_from(["delete", "get-nodes", "get-kubeconfig", "export"]))
def test_other_commands_with_hostile_names(env: Env, name: str, verb: str) -> None:
    args = {
        "delete": ["delete", "cluster", "--name", name],
        "get-nodes": ["get", "nodes", "--name", name],
        "get-kubeconfig": ["get", "kubeconfig", "--name", name],
        "export": ["export", "kubeconfig", "--name", name],
    }[verb]
    result = env.kind(*args)
    check(result, args)
    nothing_injected(env.root)


@FUZZ
@given(
    relative=st.lists(HOSTILE.filter(lambda s: s not in ("", ".", "..")), min_size=1, max_size=3)
)
def test_kubeconfig_paths_with_odd_characters(env: Env, relative: list[str]) -> None:
    """``--kubeconfig`` is the user's explicit choice: odd characters are just a file name."""
    try:
        target = env.root.joinpath("out", *[p.replace("/", "_") for p in relative])
    except ValueError:
        return
    result = env.kind(
        "create", "cluster", "--image", "kindest/node:v1.36.1", "--kubeconfig", str(target)
    )
    check(result, target)
    if result.exit_code == 0:
        assert target.is_file()
        assert os.stat(target).st_mode & 0o777 == 0o600
        assert (env.root / "out") in target.parents
