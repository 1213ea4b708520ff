"""The CLI as a real process: start-up imports, streams, exit codes, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FAKE_KIND = Path(__file__).with_name("fake_kind.py")
#: Modules that must not be imported for help and version (heavy, or plugin discovery).
HEAVY = ("docker", "podman", "pydantic", "yaml", "pluggy", "pykind.plugin", "pykind.config")

_PROBE = """
import json, sys
sys.argv = ["kind", *json.loads(sys.argv[1])]
from pykind.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.write("\\n@@MODULES@@" + json.dumps(sorted(sys.modules)))
"""


def env(**extra: str) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if not k.startswith(("KIND_", "PYKIND_"))}
    result.update(extra)
    return result


def modules_after(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert "@@MODULES@@" in proc.stdout, proc.stderr
    return set(json.loads(proc.stdout.split("@@MODULES@@", 1)[1]))


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("-h",),
        ("version",),
        ("--version",),
        ("create", "--help"),
        ("create", "cluster", "--help"),
        ("get", "clusters", "--help"),
        ("load", "docker-image", "--help"),
    ],
)
def test_help_and_version_import_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = modules_after(*args)
    assert "pykind.cli" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == [], heavy


def test_help_loads_only_the_invoked_subcommand() -> None:
    modules = modules_after("get", "--help")
    assert "pykind.cli.commands.get" in modules
    assert "pykind.cli.commands.create" not in modules
    assert not any(m.startswith("pykind.cli.commands.") for m in modules_after("--help"))


def test_importtime_report_has_no_heavy_modules() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pykind.cli", "--help"],
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert proc.returncode == 0
    names = [
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    assert "click" in names
    assert not [n for n in names if n.split(".")[0] in HEAVY or n.startswith(HEAVY)]


def run(*args: str, fake: bool = False, **extra_env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(FAKE_KIND)] if fake else [sys.executable, "-m", "pykind.cli"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env(**extra_env), check=False
    )


def test_console_scripts_installed() -> None:
    bindir = Path(sys.executable).parent
    for name in ("kind", "pykind"):
        proc = subprocess.run(
            [str(bindir / name), "version"], capture_output=True, text=True, env=env(), check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("pykind v")


def test_streams_and_exit_codes() -> None:
    ok = run("version")
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout.startswith("pykind v")
    bad = run("get", "clusters", "--foo")
    assert (bad.returncode, bad.stdout, bad.stderr) == (1, "", "ERROR: unknown flag: --foo\n")
    missing = run("frobnicate")
    assert missing.returncode == 1
    assert missing.stderr == 'ERROR: unknown command "frobnicate" for "kind"\n'
    help_ = run("--help")
    assert help_.returncode == 0 and help_.stderr == ""


def test_fake_library_streams() -> None:
    listed = run("get", "clusters", fake=True, FAKE_CLUSTERS="a,b")
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "a\nb\n", "")
    empty = run("get", "clusters", fake=True)
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, "", "No kind clusters found.\n")


def test_unknown_provider_in_a_process() -> None:
    proc = run("get", "clusters", "--provider", "nerd", fake=True)
    assert proc.returncode == 1
    assert proc.stderr == "ERROR: unknown provider 'nerd'; choose one of: docker, podman\n"
    proc = run("get", "clusters", fake=True, KIND_EXPERIMENTAL_PROVIDER="nerd")
    assert proc.returncode == 1
    assert proc.stderr.endswith("ERROR: unknown provider 'nerd'; choose one of: docker, podman\n")


def test_real_plugins_listing() -> None:
    """The installed distribution's entry points (docker, podman) show up."""
    proc = run("plugins", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    names = {p["name"]: p for p in json.loads(proc.stdout)}
    assert {"docker", "podman", "pykind.cluster.steps"} <= set(names)
    assert names["docker"]["distribution"] == "pykind"
    proc = run("plugins", "-o", "json", PYKIND_DISABLE_PLUGINS="podman")
    names = {p["name"]: p for p in json.loads(proc.stdout)}
    assert names["podman"]["status"] == "disabled"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_interrupts_after_cleanup(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(FAKE_KIND), "create", "cluster"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(FAKE_BLOCK_CREATE="1"),
    )
    assert proc.stderr is not None
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if line == "blocking\n":
                break
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=30)
    finally:
        proc.kill()
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr
    assert stderr.splitlines() == [
        'Creating cluster "kind" ...',
        " • Preparing nodes 📦  ...",
        "blocking",
        " ✗ Preparing nodes 📦",
        "cleanup ran",
        "ERROR: interrupted",
    ]
