"""Loading images into nodes, against an in-memory provider whose nodes emulate ``ctr``."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import tracemalloc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from pykind.errors import ClusterNotFoundError, ConfigError, ImageNotFoundError, NodeCommandError
from pykind.images import node_store
from pykind.images.archive import ArchiveError, inspect_archive
from pykind.images.load import ImageLoadError, load_any, load_archives, load_images
from pykind.images.reference import familiar_name, full_name, normalize_id
from pykind.runtime.protocols import CommandResult
from pykind.status import RecordingStatus

CONFIG_V2 = """version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
"""
CONFIG_V3 = """version = 3
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'native'
"""


# ---------------------------------------------------------------- archives made in memory


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def image_config(payload: str) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "payload": payload}).encode()


def image_id(payload: str) -> str:
    return "sha256:" + hashlib.sha256(image_config(payload)).hexdigest()


def docker_archive(images: Mapping[str, str]) -> bytes:
    """A ``docker save`` style tar: name -> payload (same payload = same image ID)."""
    by_payload: dict[str, list[str]] = {}
    for name, payload in images.items():
        by_payload.setdefault(payload, []).append(name)
    out = io.BytesIO()
    manifest = []
    with tarfile.open(fileobj=out, mode="w") as tf:
        for payload, names in by_payload.items():
            cfg = image_config(payload)
            hexid = hashlib.sha256(cfg).hexdigest()
            _add(tf, f"{hexid}.json", cfg)
            _add(tf, f"{hexid}/layer.tar", payload.encode() * 10)
            manifest.append(
                {"Config": f"{hexid}.json", "RepoTags": names, "Layers": [f"{hexid}/layer.tar"]}
            )
        _add(tf, "manifest.json", json.dumps(manifest).encode())
    return out.getvalue()


def stream_tar(members: Iterable[tuple[str, int, Iterable[bytes]]]) -> Iterator[bytes]:
    """A tar built on the fly: (name, size, chunks) members, nothing held whole."""
    for name, size, chunks in members:
        info = tarfile.TarInfo(name)
        info.size = size
        yield info.tobuf()
        yield from chunks
        if size % 512:
            yield bytes(512 - size % 512)
    yield bytes(1024)


class _ChunkReader(io.RawIOBase):
    """A file over an iterator of chunks (what ctr reads from its standard input)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._it)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


# ---------------------------------------------------------------- fakes


@dataclass
class CtrNode:
    """A node whose containerd is emulated: images ls/import/tag, content get, config dump."""

    name: str
    role: str = "worker"
    cluster: str = "kind"
    config: str = CONFIG_V2
    machine: str = "x86_64"
    fail_import: str | None = None
    broken: bool = False
    refs: dict[str, str] = field(default_factory=dict)
    contents: dict[str, Any] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    imported_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ip(self) -> tuple[str, str]:
        return ("", "")

    def serial_logs(self) -> bytes:
        return b""

    def imports(self) -> list[list[str]]:
        return [c for c in self.calls if c[2:4] == ["images", "import"]]

    def add_image(self, name: str, payload: str) -> None:
        cfg = image_id(payload)
        manifest = {"config": {"digest": cfg}}
        digest = "sha256:" + hashlib.sha256(json.dumps(manifest).encode()).hexdigest()
        self.contents[digest] = manifest
        self.refs[full_name(name)] = digest
        self.refs[cfg] = digest  # the CRI names every image by its ID too

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Any = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        argv = list(argv)
        with self.lock:
            self.calls.append(argv)
        rc, out, err = self._dispatch(argv, stdin)
        if check and rc != 0:
            raise NodeCommandError(argv, rc, out, err, node=self.name)
        return CommandResult(tuple(argv), rc, out, err)

    def _dispatch(self, argv: list[str], stdin: Any) -> tuple[int, bytes, bytes]:
        if self.broken:
            return 1, b"", b"Error: container is not running"
        if argv == ["containerd", "config", "dump"]:
            return 0, self.config.encode(), b""
        if argv == ["uname", "-m"]:
            return 0, self.machine.encode() + b"\n", b""
        if argv[:2] == ["sh", "-c"]:
            lines = []
            for digest in argv[4:]:
                lines.append(f"== {digest}")
                doc = self.contents.get(digest)
                lines.append(json.dumps(doc) if doc is not None else "")
            return 0, ("\n".join(lines) + "\n").encode(), b""
        if argv[:2] != list(node_store.CTR):
            return 127, b"", f"{argv[0]}: not found".encode()
        sub = argv[2:]
        if sub == ["images", "ls"]:
            rows = ["REF TYPE DIGEST SIZE PLATFORMS LABELS"]
            rows += [f"{r} application/x {d} 1.0 KiB linux/amd64 -" for r, d in self.refs.items()]
            return 0, "\n".join(rows).encode(), b""
        if sub[:2] == ["images", "tag"]:
            source, target = sub[-2], sub[-1]
            if source not in self.refs:
                return 1, b"", f"ctr: image {source!r}: not found".encode()
            self.refs[target] = self.refs[source]
            return 0, b"", b""
        if sub[:2] == ["images", "import"]:
            return self._import(stdin)
        return 1, b"", b"unknown ctr command"

    def _import(self, stdin: Iterable[bytes]) -> tuple[int, bytes, bytes]:
        if self.fail_import:
            for _ in stdin:
                break
            return 1, b"", f"ctr: {self.fail_import}".encode()
        reader = io.BufferedReader(_ChunkReader(self._count(stdin)))
        manifest: list[dict[str, Any]] = []
        configs: dict[str, bytes] = {}
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                if not member.name.endswith(".json"):
                    continue  # layers are skipped (streamed past), as containerd stores them
                f = tar.extractfile(member)
                data = f.read() if f else b""
                if member.name == "manifest.json":
                    manifest = json.loads(data)
                elif member.name.endswith(".json"):
                    configs[member.name] = data
        for _ in reader:  # drain the rest, as ctr does
            pass
        for entry in manifest:
            cfg = "sha256:" + hashlib.sha256(configs[entry["Config"]]).hexdigest()
            doc = {"config": {"digest": cfg}}
            digest = "sha256:" + hashlib.sha256(json.dumps(doc).encode()).hexdigest()
            self.contents[digest] = doc
            self.refs[cfg] = digest
            for tag in entry["RepoTags"]:
                self.refs[full_name(tag)] = digest
        return 0, b"", b""

    def _count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.imported_bytes += len(chunk)
            yield chunk


@dataclass
class Engine:
    """An image source: name -> payload; ``save_images`` streams a docker archive."""

    name: str
    images: dict[str, str] = field(default_factory=dict)
    #: What ``save`` writes as the name of an image (podman: ``localhost/<name>``).
    saved_name: Any = None
    saves: list[list[str]] = field(default_factory=list)
    fail_after: int | None = None

    def image_id(self, image: str) -> str | None:
        payload = self.images.get(image)
        if payload is None:
            return None
        return (
            image_id(payload).removeprefix("sha256:")
            if self.name == "podman"
            else image_id(payload)
        )

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        self.saves.append(list(images))
        rename = self.saved_name or (lambda n: n)
        data = docker_archive({rename(i): self.images[i] for i in images})
        for i in range(0, len(data), 1000):
            if self.fail_after is not None and i >= self.fail_after:
                raise OSError("engine connection reset")
            yield data[i : i + 1000]


@dataclass
class Provider(Engine):
    nodes: list[Any] = field(default_factory=list)

    def list_nodes(self, cluster: str) -> list[Any]:
        return [n for n in self.nodes if n.cluster == cluster]


def make_cluster(n: int = 3, **engine: Any) -> Provider:
    nodes = [CtrNode("kind-control-plane", role="control-plane")]
    nodes += [CtrNode(f"kind-worker{i if i > 1 else ''}") for i in range(1, n)]
    nodes.append(CtrNode("kind-external-load-balancer", role="external-load-balancer"))
    return Provider(name="docker", nodes=nodes, **engine)


def kube_nodes(p: Provider) -> list[CtrNode]:
    return [n for n in p.nodes if n.role != "external-load-balancer"]


# ---------------------------------------------------------------- reference helpers


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("nginx", "library/nginx:latest"),
        ("nginx:1.27", "library/nginx:1.27"),
        ("example/app:v1", "example/app:v1"),
    ],
)
def test_short_names_resolve_to_the_default_domain(short: str, full: str) -> None:
    domain = full_name("x").split("/", 1)[0]
    assert full_name(short) == f"{domain}/{full}"
    assert familiar_name(full_name(short)) == short.removesuffix(":latest") + (
        "" if ":" in short else ":latest"
    )


@pytest.mark.parametrize(
    "name", ["localhost/app:1", "localhost:5000/app:1", "my.registry.test/team/app:2"]
)
def test_names_with_a_domain_stay(name: str) -> None:
    assert full_name(name) == name


def test_digest_references_keep_their_digest() -> None:
    ref = full_name("app@sha256:" + "a" * 64)
    assert ref.endswith("/library/app@sha256:" + "a" * 64)


def test_podman_ids_get_the_sha256_prefix() -> None:
    assert normalize_id("ab" * 32) == "sha256:" + "ab" * 32
    assert normalize_id("sha256:" + "ab" * 32) == "sha256:" + "ab" * 32


# ---------------------------------------------------------------- node store helpers


def test_snapshotter_from_containerd_config_v2_and_v3() -> None:
    assert node_store.parse_snapshotter(CONFIG_V2) == "overlayfs"
    assert node_store.parse_snapshotter(CONFIG_V3) == "native"
    assert node_store.parse_snapshotter("version = 2\n") is None
    assert node_store.parse_snapshotter("not toml [") is None


def test_import_imports_only_the_node_platform() -> None:
    argv = node_store.import_argv(snapshotter="overlayfs", platform="linux/arm64")
    assert argv[:5] == ["ctr", "--namespace=k8s.io", "images", "import", "--digests"]
    assert "--platform=linux/arm64" in argv
    assert "--all-platforms" not in argv
    assert "--snapshotter=overlayfs" in argv
    assert argv[-1] == "-"
    fallback = node_store.import_argv(snapshotter=None, platform=None)
    assert "--all-platforms" in fallback
    assert not any(a.startswith("--snapshotter") for a in fallback)


def test_images_ls_parsing_skips_header_and_junk() -> None:
    text = (
        "REF TYPE DIGEST SIZE PLATFORMS LABELS\n"
        "x/a:1 application/vnd.oci.image.index.v1+json sha256:abc 1.2 MiB linux/amd64 -\n"
        "garbage\n"
    )
    assert node_store.parse_images_ls(text) == {"x/a:1": "sha256:abc"}


def test_node_arch_names() -> None:
    assert node_store.oci_arch("x86_64\n") == "amd64"
    assert node_store.oci_arch("aarch64") == "arm64"


# ---------------------------------------------------------------- load_images


def test_loads_every_missing_image_in_one_stream_per_node() -> None:
    p = make_cluster(3, images={"app:1": "a", "tool:2": "t"})
    status = RecordingStatus()
    report = load_images(p, "kind", ["app:1", "tool:2", "app:1"], status=status)
    assert report.ok
    assert p.saves == [["app:1", "tool:2"]]  # one engine read for every node
    for node in kube_nodes(p):
        assert len(node.imports()) == 1
        assert node.refs[full_name("app:1")]
        assert node.refs[full_name("tool:2")]
        assert report.node(node.name).loaded == ("app:1", "tool:2")
        assert "--platform=linux/amd64" in node.imports()[0]
        assert "--snapshotter=overlayfs" in node.imports()[0]
    lb = p.nodes[-1]
    assert lb.calls == []  # the load balancer is not a Kubernetes node
    messages = [m for kind, m in status.events if kind == "info"]
    assert (
        f'Image: "app:1" with ID "{image_id("a")}" not yet present on node '
        '"kind-control-plane", loading...'
    ) in messages
    assert report.images[0].source == "docker"


def test_reload_skips_nodes_that_hold_the_image() -> None:
    p = make_cluster(2, images={"app:1": "a"})
    load_images(p, "kind", ["app:1"])
    status = RecordingStatus()
    report = load_images(p, "kind", ["app:1"], status=status)
    assert all(len(n.imports()) == 1 for n in kube_nodes(p))
    assert p.saves == [["app:1"]]
    assert report.bytes_streamed == 0
    assert all(r.present == ("app:1",) for r in report.nodes)
    assert (
        "info",
        f'Image: "app:1" with ID "{image_id("a")}" found to be already present on all nodes.',
    ) in status.events


def test_changed_image_is_loaded_again() -> None:
    p = make_cluster(1, images={"app:1": "a"})
    load_images(p, "kind", ["app:1"])
    p.images["app:1"] = "a2"
    report = load_images(p, "kind", ["app:1"])
    node = kube_nodes(p)[0]
    assert len(node.imports()) == 2
    assert report.node(node.name).loaded == ("app:1",)
    assert node_store.list_images(node).has(full_name("app:1"), image_id("a2"))


def test_missing_tag_is_added_without_loading() -> None:
    p = make_cluster(2, images={"app:1": "a", "app:2": "a"})
    load_images(p, "kind", ["app:1"])
    status = RecordingStatus()
    report = load_images(p, "kind", ["app:2"], status=status)
    for node in kube_nodes(p):
        assert len(node.imports()) == 1
        assert node.refs[full_name("app:2")] == node.refs[full_name("app:1")]
        assert report.node(node.name).retagged == ("app:2",)
    assert any("is missing the tag" in m and "re-tagging..." in m for _, m in status.events)


def test_only_missing_images_travel_to_each_node() -> None:
    p = make_cluster(2, images={"app:1": "a", "tool:1": "t"})
    load_images(p, "kind", ["app:1"], nodes=["kind-control-plane"])
    load_images(p, "kind", ["app:1", "tool:1"])
    assert sorted(p.saves[1:]) == [["app:1", "tool:1"], ["tool:1"]]
    cp, worker = kube_nodes(p)
    assert len(cp.imports()) == 2 and len(worker.imports()) == 1


def test_nodes_option_limits_the_targets() -> None:
    p = make_cluster(3, images={"app:1": "a"})
    report = load_images(p, "kind", ["app:1"], nodes=["kind-worker2"])
    assert [r.node for r in report.nodes] == ["kind-worker2"]
    loaded = [n.name for n in kube_nodes(p) if n.imports()]
    assert loaded == ["kind-worker2"]


def test_unknown_node_is_named_and_nothing_is_loaded() -> None:
    p = make_cluster(2, images={"app:1": "a"})
    with pytest.raises(ConfigError, match="unknown node 'kind-worker9' in cluster 'kind'"):
        load_images(p, "kind", ["app:1"], nodes=["kind-worker9"])
    assert all(not n.imports() for n in p.nodes)


def test_missing_cluster() -> None:
    p = make_cluster(1, images={"app:1": "a"})
    with pytest.raises(ClusterNotFoundError, match="no nodes found for cluster 'other'"):
        load_images(p, "other", ["app:1"])


def test_missing_image_is_named_before_any_node_is_touched() -> None:
    p = make_cluster(2, images={"app:1": "a"})
    with pytest.raises(ImageNotFoundError, match='"nope:1" not present locally'):
        load_images(p, "kind", ["app:1", "nope:1"])
    assert all(not n.calls for n in p.nodes)
    assert p.saves == []


def test_one_failing_node_does_not_stop_the_others() -> None:
    p = make_cluster(3, images={"app:1": "a"})
    bad = kube_nodes(p)[1]
    bad.fail_import = "failed to extract layer: no space left on device"
    with pytest.raises(ImageLoadError) as info:
        load_images(p, "kind", ["app:1"])
    report = info.value.report
    assert not report.ok
    assert [r.node for r in report.failed] == [bad.name]
    error = report.node(bad.name).error or ""
    assert '"app:1"' in error and bad.name in error and "no space left on device" in error
    assert bad.name in str(info.value)
    for node in kube_nodes(p):
        if node is not bad:
            assert node.refs[full_name("app:1")]
            assert report.node(node.name).loaded == ("app:1",)


def test_unreachable_node_is_reported_and_the_rest_load() -> None:
    p = make_cluster(2, images={"app:1": "a"})
    kube_nodes(p)[0].broken = True
    with pytest.raises(ImageLoadError) as info:
        load_images(p, "kind", ["app:1"])
    report = info.value.report
    assert "cannot inspect the images of node 'kind-control-plane'" in (
        report.node("kind-control-plane").error or ""
    )
    assert report.node("kind-worker").loaded == ("app:1",)


def test_engine_failing_mid_stream_fails_every_target() -> None:
    p = make_cluster(2, images={"app:1": "a" * 5000}, fail_after=3000)
    with pytest.raises(ImageLoadError) as info:
        load_images(p, "kind", ["app:1"])
    for result in info.value.report.nodes:
        assert "engine connection reset" in (result.error or "")


def test_podman_local_names_get_the_requested_name() -> None:
    podman = Engine(name="podman", images={"app:1": "p"}, saved_name=lambda n: f"localhost/{n}")
    p = make_cluster(1)
    report = load_images(p, "kind", ["app:1"], sources=[podman])
    node = kube_nodes(p)[0]
    assert report.images[0].source == "podman"
    assert report.images[0].id == image_id("p")
    assert node.refs["localhost/app:1"] == node.refs[full_name("app:1")]


def test_containerd_2_config_is_understood() -> None:
    p = make_cluster(1, images={"app:1": "a"})
    kube_nodes(p)[0].config = CONFIG_V3
    load_images(p, "kind", ["app:1"])
    assert "--snapshotter=native" in kube_nodes(p)[0].imports()[0]


def test_streaming_memory_does_not_grow_with_image_size() -> None:
    """256 MiB streamed to 3 nodes: traced memory stays a few chunks big."""
    size = 256 << 20

    class BigEngine(Provider):
        def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
            members: list[tuple[str, int, Iterable[bytes]]] = []
            for name in images:
                cfg = image_config(self.images[name])
                hexid = hashlib.sha256(cfg).hexdigest()
                layer = (bytes(64 << 10) for _ in range(size // (64 << 10)))
                members.append((f"{hexid}.json", len(cfg), [cfg]))
                members.append((f"{hexid}/layer.tar", size, layer))
                entry = {"Config": f"{hexid}.json", "RepoTags": [name], "Layers": []}
                data = json.dumps([entry]).encode()
                members.append(("manifest.json", len(data), [data]))
            yield from stream_tar(members)

    p = BigEngine(name="docker", images={"big:1": "b"})
    p.nodes = [CtrNode(f"kind-worker{i}") for i in range(3)]
    tracemalloc.start()
    try:
        report = load_images(p, "kind", ["big:1"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok
    assert report.bytes_streamed > size
    assert all(n.imported_bytes == report.bytes_streamed for n in p.nodes)
    assert peak < 8 << 20, f"peak traced memory {peak} bytes"


# ---------------------------------------------------------------- archives


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_archive_with_several_images_loads_into_all_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, "images.tar", docker_archive({"app:1": "a", "tool:1": "t"}))
    p = make_cluster(2)
    status = RecordingStatus()
    report = load_archives(p, "kind", [path], status=status)
    assert report.ok
    assert {i.name for i in report.images} == {"app:1", "tool:1"}
    for node in kube_nodes(p):
        assert full_name("app:1") in node.refs and full_name("tool:1") in node.refs
    assert any("images.tar" in m for _, m in status.events)


def test_gzipped_archive_is_decompressed_while_streaming(tmp_path: Path) -> None:
    import gzip

    path = write(tmp_path, "images.tar.gz", gzip.compress(docker_archive({"app:1": "a"})))
    p = make_cluster(1)
    load_archives(p, "kind", [str(path)])
    assert full_name("app:1") in kube_nodes(p)[0].refs


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00garbage" * 100, "is not a readable tar file"),
        (b"", "is not a readable tar file"),
    ],
)
def test_bad_archives_are_rejected_before_loading(
    tmp_path: Path, content: bytes, message: str
) -> None:
    good = write(tmp_path, "good.tar", docker_archive({"app:1": "a"}))
    bad = write(tmp_path, "bad.tar", content)
    p = make_cluster(2)
    with pytest.raises(ArchiveError, match=message) as info:
        load_archives(p, "kind", [good, bad])
    assert "bad.tar" in str(info.value)
    assert all(not n.calls for n in p.nodes)


def test_tar_without_image_metadata_is_not_an_image_archive(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        _add(tf, "README", b"hello")
    path = write(tmp_path, "plain.tar", out.getvalue())
    with pytest.raises(ArchiveError, match="is not an image archive"):
        inspect_archive(path)


def test_truncated_archive_is_rejected(tmp_path: Path) -> None:
    data = docker_archive({"app:1": "a" * 4000})
    path = write(tmp_path, "cut.tar", data[:700])
    with pytest.raises(ArchiveError):
        inspect_archive(path)


def test_missing_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist"):
        load_archives(make_cluster(1), "kind", [tmp_path / "nope.tar"])


def test_oci_index_names_are_read(tmp_path: Path) -> None:
    out = io.BytesIO()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "digest": "sha256:" + "1" * 64,
                "annotations": {"io.containerd.image.name": "example/app:1"},
            }
        ],
    }
    with tarfile.open(fileobj=out, mode="w") as tf:
        _add(tf, "oci-layout", b"{}")
        _add(tf, "index.json", json.dumps(index).encode())
    archive = inspect_archive(write(tmp_path, "oci.tar", out.getvalue()))
    assert archive.format == "oci"
    assert archive.names == ("example/app:1",)


def test_archive_failure_in_one_node(tmp_path: Path) -> None:
    path = write(tmp_path, "images.tar", docker_archive({"app:1": "a"}))
    p = make_cluster(2)
    kube_nodes(p)[0].fail_import = "unexpected EOF"
    with pytest.raises(ImageLoadError) as info:
        load_archives(p, "kind", [path])
    error = info.value.report.node("kind-control-plane").error or ""
    assert "images.tar" in error and "kind-control-plane" in error and "unexpected EOF" in error
    assert info.value.report.node("kind-worker").loaded == (str(path),)


# ---------------------------------------------------------------- load_any


def test_load_any_finds_images_files_and_other_engines(tmp_path: Path) -> None:
    archive = write(tmp_path, "extra.tar", docker_archive({"extra:1": "e"}))
    podman = Engine(name="podman", images={"pod:1": "p"})
    p = make_cluster(2, images={"app:1": "a"})
    report = load_any(p, "kind", ["app:1", "pod:1", str(archive)], other_sources=[podman])
    assert report.ok
    sources = {i.name: i.source for i in report.images}
    assert sources == {"app:1": "docker", "pod:1": "podman", "extra:1": str(archive)}
    for node in kube_nodes(p):
        for name in ("app:1", "pod:1", "extra:1"):
            assert full_name(name) in node.refs


def test_load_any_prefers_the_provider_engine() -> None:
    podman = Engine(name="podman", images={"app:1": "other"})
    p = make_cluster(1, images={"app:1": "a"})
    report = load_any(p, "kind", ["app:1"], other_sources=[podman])
    assert report.images[0].source == "docker"
    assert podman.saves == []


def test_load_any_names_what_was_not_found() -> None:
    p = make_cluster(1)
    with pytest.raises(ImageNotFoundError, match=r'"ghost:1" not present locally.*file system'):
        load_any(p, "kind", ["ghost:1"], other_sources=[Engine(name="podman")])
