"""The click-free fast paths of ``kind version`` and ``kind get clusters``
(pykind.cli.fast), against a fake engine on a unix socket."""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pykind import __version__
from pykind.cli import fast
from pykind.cli.app import build_cli
from pykind.cli.versioninfo import display_version

#: The real scan (the fixtures replace ``fast.foreign_plugins``).
REAL_FOREIGN_PLUGINS = fast.foreign_plugins


class FakeEngine:
    """A unix-socket HTTP server answering every request with one canned response."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.status = "200 OK"
        self.body = b"[]"
        self.chunked = False
        self.requests: list[bytes] = []
        engine = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                engine.requests.append(data)
                self.request.sendall(engine.response())

        self.server = socketserver.UnixStreamServer(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def containers(self, *clusters: str) -> None:
        self.body = json.dumps(
            [
                {"Names": [f"/{c}-n{i}"], "Labels": {fast.CLUSTER_LABEL: c}}
                for i, c in enumerate(clusters)
            ]
            + [{"Names": ["/other"], "Labels": {}}]
        ).encode()

    def response(self) -> bytes:
        head = f"HTTP/1.0 {self.status}\r\nContent-Type: application/json\r\n"
        if self.chunked:
            half = len(self.body) // 2
            parts = [self.body[:half], self.body[half:]]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"
            return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + body
        return head.encode() + b"\r\n" + self.body

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sockdir() -> Iterator[str]:
    # a short path: unix socket paths are limited to ~100 bytes
    with tempfile.TemporaryDirectory(prefix="pkf") as folder:
        yield folder


@pytest.fixture
def docker(sockdir: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    engine = FakeEngine(os.path.join(sockdir, "docker.sock"))
    monkeypatch.setenv("DOCKER_HOST", engine.url)
    monkeypatch.setenv("CONTAINER_HOST", f"unix://{sockdir}/absent.sock")
    for name in ("KIND_EXPERIMENTAL_PROVIDER", "PYKIND_DISABLE_PLUGINS", fast.DISABLE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(fast, "foreign_plugins", lambda paths=None: False)
    yield engine
    engine.close()


def test_version_lines_match_the_click_command(capsys: pytest.CaptureFixture[str]) -> None:
    runner = CliRunner()
    full = runner.invoke(build_cli(), ["version"], prog_name="kind").output
    quiet = runner.invoke(build_cli(), ["version", "-q"], prog_name="kind").output
    assert fast.run_fast(["version"]) == 0
    assert capsys.readouterr().out == full == display_version() + "\n"
    assert fast.run_fast(["-q", "version"]) == 0
    assert capsys.readouterr().out == quiet == __version__ + "\n"
    assert fast.run_fast(["--version"]) == 0
    assert capsys.readouterr().out == full


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["version", "--help"],
        ["version", "-v", "3"],
        ["get", "clusters", "-o", "json"],
        ["get", "clusters", "--help"],
        ["get", "clusters", "--provider"],
        ["get", "clusters", "-v", "1"],
        ["get", "nodes"],
        ["get"],
        ["create", "cluster"],
    ],
)
def test_other_invocations_are_left_to_the_full_cli(
    argv: list[str], docker: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fast.run_fast(argv) is None
    assert capsys.readouterr() == ("", "")
    assert docker.requests == []


def test_get_clusters_lists_sorted_unique_names(
    docker: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    docker.containers("b", "a", "b")
    assert fast.run_fast(["get", "clusters"]) == 0
    assert capsys.readouterr() == ("a\nb\n", "")
    request = docker.requests[0].decode()
    assert request.startswith(f"GET {fast.LIST_PATH} HTTP/1.0\r\n")


def test_get_clusters_reads_chunked_answers(
    docker: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    docker.containers("one", "two")
    docker.chunked = True
    assert fast.run_fast(["get", "clusters"]) == 0
    assert capsys.readouterr().out == "one\ntwo\n"


def test_no_clusters_message_unless_quiet(
    docker: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    docker.containers()
    assert fast.run_fast(["get", "clusters"]) == 0
    assert capsys.readouterr() == ("", "No kind clusters found.\n")
    assert fast.run_fast(["get", "clusters", "-q"]) == 0
    assert capsys.readouterr() == ("", "")


def test_env_provider_is_announced_like_the_full_cli(
    docker: FakeEngine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    docker.containers("x")
    monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "docker")
    assert fast.run_fast(["get", "clusters"]) == 0
    assert capsys.readouterr() == ("x\n", "using docker due to KIND_EXPERIMENTAL_PROVIDER\n")
    # an explicit flag wins and is not announced
    assert fast.run_fast(["get", "clusters", "--provider=docker"]) == 0
    assert capsys.readouterr() == ("x\n", "")


def test_auto_detection_falls_through_to_podman(
    sockdir: str,
    docker: FakeEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    podman = FakeEngine(os.path.join(sockdir, "podman.sock"))
    try:
        podman.containers("from-podman")
        monkeypatch.setenv("DOCKER_HOST", f"unix://{sockdir}/no-docker.sock")
        monkeypatch.setenv("CONTAINER_HOST", podman.url)
        assert fast.run_fast(["get", "clusters"]) == 0
        assert capsys.readouterr().out == "from-podman\n"
        assert fast.run_fast(["get", "clusters", "--provider", "podman"]) == 0
        assert capsys.readouterr().out == "from-podman\n"
    finally:
        podman.close()


@pytest.mark.parametrize("provider", ["docker", "Podman ", "nope"])
def test_unreachable_or_unknown_providers_go_to_the_full_cli(
    provider: str, sockdir: str, docker: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sockdir}/no-docker.sock")
    assert fast.run_fast(["get", "clusters", "--provider", provider]) is None
    assert fast.run_fast(["get", "clusters"]) is None  # nothing answers: the full CLI explains


def test_engine_errors_and_garbage_go_to_the_full_cli(docker: FakeEngine) -> None:
    docker.status = "500 Internal Server Error"
    assert fast.run_fast(["get", "clusters"]) is None
    docker.status, docker.body = "200 OK", b"not json"
    assert fast.run_fast(["get", "clusters"]) is None


def test_non_unix_endpoints_go_to_the_full_cli(
    docker: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert fast.run_fast(["get", "clusters", "--provider", "docker"]) is None


@pytest.mark.parametrize(
    "env", ["PYKIND_DISABLE_PLUGINS", "PYKIND_TRACE_PLUGINS", fast.DISABLE_ENV]
)
def test_environment_switches_disable_it(
    env: str, docker: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env, "1")
    assert fast.run_fast(["get", "clusters"]) is None
    assert docker.requests == []


def test_third_party_plugins_disable_it(
    docker: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "foreign_plugins", lambda paths=None: True)
    assert fast.run_fast(["get", "clusters"]) is None
    assert docker.requests == []


def _dist(folder: Path, name: str, entry_points: str | None) -> None:
    info = folder / name
    info.mkdir(parents=True)
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def test_foreign_plugins_scan(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist(site, "pykind-0.1.0.dist-info", "[pykind]\ndocker = pykind_docker.plugin\n")
    _dist(site, "click-8.1.0.dist-info", None)
    _dist(site, "pytest-8.0.dist-info", "[console_scripts]\npytest = pytest:main\n")
    paths = [str(site), str(tmp_path / "missing")]
    assert fast.foreign_plugins(paths) is False
    _dist(site, "pykind_metallb-1.0.dist-info", "[pykind]\nmetallb = pykind_metallb.plugin\n")
    assert fast.foreign_plugins(paths) is True


def test_foreign_plugins_scan_is_cautious_with_zips_and_eggs(tmp_path: Path) -> None:
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK")
    assert fast.foreign_plugins([str(archive)]) is True
    (tmp_path / "site" / "thing-1.0-py3.11.egg").mkdir(parents=True)
    assert fast.foreign_plugins([str(tmp_path / "site")]) is True


def test_foreign_plugins_in_this_environment_match_importlib_metadata() -> None:
    from importlib import metadata

    others = {
        ep.name
        for dist in metadata.distributions()
        for ep in dist.entry_points
        if ep.group == fast.GROUP and dist.metadata["Name"].lower() != "pykind"
    }
    assert fast.foreign_plugins() is bool(others)


def test_console_start_skips_click(docker: FakeEngine) -> None:
    """A real process: ``kind get clusters`` answers without importing click or pluggy."""
    docker.containers("proc")
    probe = (
        "import json, sys\n"
        "sys.argv = ['kind', 'get', 'clusters']\n"
        "from pykind.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "sys.stderr.write(json.dumps([code, sorted(sys.modules)]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIND_", "PYKIND_"))}
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    code, modules = json.loads(proc.stderr)
    if REAL_FOREIGN_PLUGINS():
        pytest.skip("a third-party pykind plugin is installed: the full CLI answers")
    assert (code, proc.stdout) == (0, "proc\n")
    heavy = [m for m in modules if m.split(".")[0] in ("click", "pluggy", "pydantic", "docker")]
    assert heavy == []


def test_customised_cli_internals_turn_it_off(docker: FakeEngine) -> None:
    """Tools that replace CLI internals (as the CLI tests do) get the full CLI."""
    docker.containers("proc")
    probe = (
        "import sys\n"
        "sys.argv = ['kind', 'get', 'clusters']\n"
        "import pykind.cli.state\n"
        "from pykind.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(str('click' in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIND_", "PYKIND_"))}
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert proc.stderr.endswith("True")
