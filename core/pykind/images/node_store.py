"""The image store of a node: containerd's ``k8s.io`` namespace, driven with ``ctr``.

Only ``ctr`` and ``containerd`` are used (not ``crictl``), so this works on any node image whose
containerd is real. Image identity follows the engines: an engine's image ID is either the
config digest (docker's classic store, podman) or the manifest/index digest (docker's
containerd store); an image in a node matches an ID when either of its digests equals it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomlkit

from pykind.errors import NodeCommandError
from pykind.runtime.protocols import Node

NAMESPACE = "k8s.io"
CTR = ("ctr", f"--namespace={NAMESPACE}")

#: ``uname -m`` -> OCI architecture.
_ARCHES = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}

#: Prints each digest argument, then its content from containerd's store on one line.
_CONTENT_SCRIPT = (
    'for d in "$@"; do echo "== $d"; '
    f'ctr --namespace={NAMESPACE} content get "$d" 2>/dev/null | tr -d "\\n"; echo; done'
)


def oci_arch(machine: str) -> str:
    """Map ``uname -m`` output to the OCI architecture name."""
    machine = machine.strip()
    return _ARCHES.get(machine, machine)


@dataclass(frozen=True)
class NodeImages:
    """Images in a node: name -> target digest, and target digest -> config digests."""

    refs: dict[str, str] = field(default_factory=dict)
    configs: dict[str, frozenset[str]] = field(default_factory=dict)

    def ids(self, ref: str) -> frozenset[str]:
        """Every digest that identifies ``ref`` (empty when absent)."""
        target = self.refs.get(ref)
        if target is None:
            return frozenset()
        return frozenset({target}) | self.configs.get(target, frozenset())

    def has(self, ref: str, image_id: str) -> bool:
        """``ref`` is present and is the image ``image_id``."""
        return image_id in self.ids(ref)

    def refs_for(self, image_id: str) -> list[str]:
        """Names under which the image ``image_id`` is stored, sorted (digest names last)."""
        found = [r for r in self.refs if image_id in self.ids(r)]
        return sorted(found, key=lambda r: ("@" in r or r.startswith("sha256:"), r))


def parse_images_ls(text: str) -> dict[str, str]:
    """Parse ``ctr images ls`` output (REF TYPE DIGEST SIZE PLATFORMS LABELS) to ref -> digest."""
    refs: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0] == "REF":
            continue
        if fields[2].startswith("sha256:"):
            refs[fields[0]] = fields[2]
    return refs


def _parse_contents(text: str) -> dict[str, Any]:
    """Parse the output of :data:`_CONTENT_SCRIPT` to digest -> decoded JSON."""
    out: dict[str, Any] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = line[3:].strip()
            continue
        if current and line.strip():
            with contextlib.suppress(json.JSONDecodeError):
                out[current] = json.loads(line)
            current = None
    return out


def _get_contents(node: Node, digests: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    result = node.run(["sh", "-c", _CONTENT_SCRIPT, "sh", *wanted], check=False)
    return _parse_contents(result.text)


def list_images(node: Node) -> NodeImages:
    """The images in ``node``'s ``k8s.io`` namespace with their config digests."""
    text = node.run([*CTR, "images", "ls"]).text
    if not text.strip():
        # ctr always prints a header: empty output was lost on the way (seen with podman
        # exec under load); ask once more rather than report an empty store.
        text = node.run([*CTR, "images", "ls"]).text
    refs = parse_images_ls(text)
    docs = _get_contents(node, refs.values())
    children: dict[str, list[str]] = {}
    for digest, doc in docs.items():
        if isinstance(doc, dict) and isinstance(doc.get("manifests"), list):
            children[digest] = [
                str(m["digest"]) for m in doc["manifests"] if isinstance(m, dict) and "digest" in m
            ]
    child_docs = _get_contents(node, (d for ds in children.values() for d in ds))
    configs: dict[str, frozenset[str]] = {}
    for target in set(refs.values()):
        found: set[str] = set()
        for doc in [docs.get(target), *(child_docs.get(c) for c in children.get(target, []))]:
            if isinstance(doc, dict) and isinstance(doc.get("config"), dict):
                digest = doc["config"].get("digest")
                if digest:
                    found.add(str(digest))
        configs[target] = frozenset(found)
    return NodeImages(refs=refs, configs=configs)


def parse_snapshotter(config_toml: str) -> str | None:
    """The CRI's snapshotter from ``containerd config dump`` (config version 2 or 3)."""
    try:
        doc: Any = tomlkit.parse(config_toml).unwrap()
    except Exception:
        return None
    plugins = doc.get("plugins") or {}
    version = doc.get("version", 1)
    paths: list[Sequence[str]] = [
        ("io.containerd.cri.v1.images", "snapshotter"),  # version 3 (containerd 2.x)
        ("io.containerd.grpc.v1.cri", "containerd", "snapshotter"),  # version 2
        ("cri", "containerd", "snapshotter"),  # version 1
    ]
    if version == 2:
        paths.reverse()
    for path in paths:
        value: Any = plugins
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def snapshotter(node: Node) -> str | None:
    """The snapshotter containerd's CRI plugin uses in ``node`` (None when not found)."""
    result = node.run(["containerd", "config", "dump"], check=False)
    if result.returncode != 0:
        return None
    return parse_snapshotter(result.text)


def platform(node: Node) -> str:
    """``linux/<arch>`` of the node's kernel (the host's when the node does not say)."""
    machine = node.run(["uname", "-m"], check=False).text.strip()
    if not machine:
        import platform as host

        machine = host.machine()
    return "linux/" + oci_arch(machine)


def import_argv(*, snapshotter: str | None, platform: str | None) -> list[str]:
    """The ``ctr images import`` command reading an archive from standard input.

    Upstream kind passes ``--all-platforms``; that fails ("content digest ... not found") on
    archives that list platforms whose content they do not carry, which is what docker's
    containerd image store writes for multi-platform images. Importing only the node's own
    platform (``--platform``, matched strictly by ctr) loads every archive a node can run.
    """
    argv = [*CTR, "images", "import", "--digests"]
    if platform:
        argv.append(f"--platform={platform}")
    else:
        argv.append("--all-platforms")
    if snapshotter:
        argv.append(f"--snapshotter={snapshotter}")
    argv.append("-")
    return argv


def tag(node: Node, source: str, target: str) -> None:
    """Add the name ``target`` to the image ``source`` (both full names or digests)."""
    node.run([*CTR, "images", "tag", "--force", source, target])


def describe_failure(exc: BaseException) -> str:
    """A one-line reason from a failed node command (its stderr's last line, else the error)."""
    if isinstance(exc, NodeCommandError):
        text = (exc.stderr or exc.stdout).decode("utf-8", "replace").strip()
        if text:
            return text.splitlines()[-1]
    return str(exc) or type(exc).__name__
