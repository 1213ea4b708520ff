"""Node image build inputs: source types, release tarballs, the download cache."""

from __future__ import annotations

import http.server
import io
import ssl
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pykind.build.node_image import _fixed_name
from pykind.build.release import ReleaseError, extract_release
from pykind.build.source import DownloadError, detect_type, release_url, resolve
from pykind.errors import ConfigError


def server_tarball(path: Path, *, version: str | None = "v1.36.1", skip: str = "") -> Path:
    with tarfile.open(path, "w:gz") as tf:
        files = {
            f"kubernetes/server/bin/{b}": b"#!/bin/sh\n" for b in ("kubeadm", "kubelet", "kubectl")
        }
        for image in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
            files[f"kubernetes/server/bin/{image}.tar"] = b"tar"
        if version is not None:
            files["kubernetes/version"] = version.encode() + b"\n"
        for name, data in files.items():
            if skip and name.endswith(skip):
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_source_builds_are_refused_with_the_alternatives(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"building from source is not supported; use --type file\|url\|release"
    ):
        resolve(str(tmp_path), "source", arch="amd64")
    with pytest.raises(ConfigError, match="building from source is not supported"):
        resolve(str(tmp_path), None, arch="amd64")  # a folder is a source checkout


def test_types_are_detected(tmp_path: Path) -> None:
    tarball = server_tarball(tmp_path / "k.tar.gz")
    assert detect_type(str(tarball)) == "file"
    assert detect_type("https://example.test/k.tar.gz") == "url"
    assert detect_type("v1.36.1") == "release"
    assert detect_type("1.36.1") == "release"
    with pytest.raises(ConfigError, match="cannot tell what 'nonsense' is"):
        detect_type("nonsense")


def test_release_url_pattern() -> None:
    assert release_url("v1.36.1", "arm64").endswith("/v1.36.1/kubernetes-server-linux-arm64.tar.gz")
    assert "/v1.36.1/" in release_url("1.36.1", "amd64")
    with pytest.raises(ConfigError, match="not a Kubernetes release version"):
        release_url("latest", "amd64")


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve(str(tmp_path / "nope.tar.gz"), "file", arch="amd64")
    with pytest.raises(ConfigError, match="unknown build type 'bazel'"):
        resolve("x", "bazel", arch="amd64")


def test_plain_http_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only https URLs"):
        resolve("http://127.0.0.1:1/k.tar.gz", "url", arch="amd64", cache_dir=tmp_path)


def test_release_extraction(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    release = extract_release(server_tarball(tmp_path / "k.tar.gz"), out)
    assert release.version == "v1.36.1"
    assert sorted(release.binaries) == ["kubeadm", "kubectl", "kubelet"]
    assert release.images[0].name == "kube-apiserver.tar"
    assert all(p.is_file() for p in release.images)


def test_incomplete_release_names_what_is_missing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReleaseError, match="lacks kubernetes/server/bin/kubelet"):
        extract_release(server_tarball(tmp_path / "k.tar.gz", skip="bin/kubelet"), out)
    with pytest.raises(ReleaseError, match="has no kubernetes/version"):
        extract_release(server_tarball(tmp_path / "v.tar.gz", version=None), out)
    (tmp_path / "junk.tar.gz").write_bytes(b"junk")
    with pytest.raises(ReleaseError, match="cannot read"):
        extract_release(tmp_path / "junk.tar.gz", out)


@pytest.mark.parametrize(
    ("ref", "fixed"),
    [
        ("k8s.test/kube-apiserver-amd64:v1.36.1", "k8s.test/kube-apiserver:v1.36.1"),
        ("kube-proxy-amd64", "kube-proxy"),
        ("k8s.test/kube-proxy:v1.36.1", None),
        ("sha256:" + "a" * 64, None),
    ],
)
def test_arch_suffix_is_dropped(ref: str, fixed: str | None) -> None:
    assert _fixed_name(ref, "amd64") == fixed


@pytest.fixture
def https_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTPS server with a throwaway CA trusted through SSL_CERT_FILE."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    root = tmp_path / "www"
    root.mkdir()
    server_tarball(root / "kubernetes-server-linux-amd64.tar.gz")
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):  # type: ignore[no-untyped-def]
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


Server = tuple[str, list[str]]


def test_url_is_downloaded_once_then_cached(
    tmp_path: Path, https_server: tuple[str, list[str]]
) -> None:
    base, requests = https_server
    url = f"{base}/kubernetes-server-linux-amd64.tar.gz"
    cache = tmp_path / "cache"
    first = resolve(url, "url", arch="amd64", cache_dir=cache)
    second = resolve(url, None, arch="amd64", cache_dir=cache)
    assert first == second and first.name == "kubernetes-server-linux-amd64.tar.gz"
    assert extract_release(first, tmp_path).version == "v1.36.1"
    assert len([r for r in requests if r.endswith(".tar.gz")]) == 1
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".part-")]


def test_download_failure_is_clear(tmp_path: Path, https_server: Server) -> None:
    base, _ = https_server
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="HTTP 404"):
        resolve(f"{base}/missing.tar.gz", "url", arch="amd64", cache_dir=cache)
    assert [p for p in cache.rglob("*") if p.is_file()] == []
