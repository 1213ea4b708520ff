"""Pinned manifests: checksums, the content-addressed cache, local files, HTTPS only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pykind.addons.manifests import (
    default_cache_dir,
    fetch_https,
    normalise_sha256,
    resolve_manifest,
)
from pykind.errors import AddonError, ConfigError

BODY = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"
SHA = hashlib.sha256(BODY).hexdigest()
URL = "https://example.invalid/deploy.yaml"


class Fetcher:
    """Records URLs and serves a fixed body."""

    def __init__(self, body: bytes = BODY) -> None:
        self.body = body
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.body


def test_fetch_verifies_and_caches(tmp_path: Path) -> None:
    fetch = Fetcher()
    manifest = resolve_manifest(url=URL, sha256=SHA, cache_dir=tmp_path, fetch=fetch)
    assert (manifest.data, manifest.origin, manifest.sha256) == (BODY, "url", SHA)
    assert (tmp_path / f"{SHA}.yaml").read_bytes() == BODY
    again = resolve_manifest(url=URL, sha256=SHA, cache_dir=tmp_path, fetch=fetch)
    assert again.origin == "cache" and again.data == BODY
    assert fetch.urls == [URL]


def test_checksum_mismatch_is_an_error_and_not_cached(tmp_path: Path) -> None:
    fetch = Fetcher(BODY + b"# tampered\n")
    with pytest.raises(AddonError) as info:
        resolve_manifest(url=URL, sha256=SHA, cache_dir=tmp_path, fetch=fetch)
    assert f"checksum mismatch for {URL}: expected sha256 {SHA}, got " in str(info.value)
    assert not list(tmp_path.iterdir())


def test_corrupt_cache_entry_is_fetched_again(tmp_path: Path) -> None:
    (tmp_path / f"{SHA}.yaml").write_bytes(b"truncated")
    fetch = Fetcher()
    manifest = resolve_manifest(url=URL, sha256=SHA, cache_dir=tmp_path, fetch=fetch)
    assert manifest.origin == "url" and fetch.urls == [URL]
    assert (tmp_path / f"{SHA}.yaml").read_bytes() == BODY


def test_unwritable_cache_still_returns_the_manifest(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    manifest = resolve_manifest(url=URL, sha256=SHA, cache_dir=blocker / "sub", fetch=Fetcher())
    assert manifest.data == BODY


def test_sha256_is_required_for_downloads(tmp_path: Path) -> None:
    fetch = Fetcher()
    with pytest.raises(AddonError, match=r"no sha256 is pinned for .*manifest=PATH"):
        resolve_manifest(url=URL, sha256=None, cache_dir=tmp_path, fetch=fetch)
    assert fetch.urls == []


def test_local_file_needs_no_download(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_bytes(BODY)
    fetch = Fetcher()
    manifest = resolve_manifest(url=URL, sha256=None, path=path, cache_dir=tmp_path, fetch=fetch)
    assert (manifest.origin, manifest.data, manifest.sha256) == ("file", BODY, SHA)
    assert fetch.urls == []


def test_local_file_is_checked_when_a_checksum_is_given(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_bytes(BODY + b"\n")
    with pytest.raises(AddonError, match="checksum mismatch for manifest file"):
        resolve_manifest(url=URL, sha256=SHA, path=path, cache_dir=tmp_path, fetch=Fetcher())


def test_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read manifest file"):
        resolve_manifest(url=URL, sha256=None, path=tmp_path / "absent.yaml")


def test_normalise_sha256() -> None:
    assert normalise_sha256(f"SHA256:{SHA.upper()}") == SHA
    with pytest.raises(ValueError, match="64 hexadecimal"):
        normalise_sha256("abc")


def test_only_https_is_fetched() -> None:
    with pytest.raises(AddonError, match="only https:// URLs are allowed"):
        fetch_https("http://127.0.0.1:9/deploy.yaml")


def test_unreachable_url_suggests_a_local_copy() -> None:
    # port 1 on loopback: nothing listens, the connection is refused at once
    with pytest.raises(AddonError, match=r"cannot fetch https://127\.0\.0\.1:1/x: .*manifest=PATH"):
        fetch_https("https://127.0.0.1:1/x", timeout=5)


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PYKIND_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "pykind" / "manifests"
    monkeypatch.setenv("PYKIND_CACHE_DIR", str(tmp_path / "own"))
    assert default_cache_dir() == tmp_path / "own" / "manifests"
    monkeypatch.delenv("PYKIND_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "pykind" / "manifests"


def test_manifest_addon_downloads_once_and_reads_images(tmp_path: Path) -> None:
    from typing import ClassVar

    from pydantic import Field

    from pykind.addons.manifest_addon import ManifestAddon, ManifestOptions

    body = (
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: a/b:1\n"
    )
    sha = hashlib.sha256(body).hexdigest()

    class Options(ManifestOptions):
        PINS: ClassVar[dict[str, str | None]] = {"v1": sha}
        version: str = Field("v1")

    fetch = Fetcher(body)
    addon = ManifestAddon(
        name="demo",
        url_template="https://example.invalid/{version}/all.yaml",
        options_model=Options,
        cache_dir=tmp_path,
        fetch=fetch,
    )
    options = Options()
    assert addon.images(options) == ["a/b:1"]
    assert addon.manifest(options).data == body
    assert fetch.urls == ["https://example.invalid/v1/all.yaml"]
    spec = addon.spec()
    assert (spec.name, spec.options_model) == ("demo", Options)
    with pytest.raises(ValueError, match=r"no sha256 is pinned for version v2 \(pinned: v1\)"):
        Options(version="v2")
    assert Options(version="v2", sha256=sha.upper()).expected_sha256() == sha
