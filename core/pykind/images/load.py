"""``kind load docker-image`` / ``image-archive`` / ``image``: put host images into nodes.

Upstream's behaviour is kept: image IDs are resolved in the engine, nodes that already hold an
image (by ID, under the requested name) are skipped, a node holding the ID under another name
only gets the missing name (``ctr images tag``), the rest import the images into containerd's
``k8s.io`` namespace with the node's snapshotter, and the log lines read as upstream's.

Beyond upstream:

- Images come from the provider's own engine (docker images for the docker provider, podman
  images for podman); :func:`load_any` also looks in other engines and at files.
- Nothing is written to disk and nothing is held whole in memory: the engine's ``save`` stream
  is read once and fanned out to every target node concurrently (:mod:`pykind.images.tee`),
  each node reading it as the standard input of ``ctr images import``. Several images in one
  call travel in one archive per node.
- Only the node's platform is imported (``--platform linux/<arch>`` instead of
  ``--all-platforms``), so archives from docker's containerd image store, which list platforms
  they carry no content for, load (upstream issue 3795).
- After the import each node is checked: every requested name must resolve to the image's ID
  (podman names local images ``localhost/<name>``; the requested name is added when missing).
- One failing node does not stop the others: every node finishes, the :class:`LoadReport`
  lists each node's outcome, and :class:`ImageLoadError` (carrying the report) is raised at the
  end when any node failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pykind.errors import ImageNotFoundError, PykindError
from pykind.images import node_store
from pykind.images.archive import ImageArchive, inspect_archive
from pykind.images.nodes import select_nodes
from pykind.images.reference import full_name, normalize_id
from pykind.images.tee import fan_out
from pykind.runtime.protocols import Node, NodeProvider
from pykind.status import NULL_STATUS, Status

if TYPE_CHECKING:
    from pykind.plugin.manager import PykindPluginManager

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class ImageSource(Protocol):
    """Where images come from: a container engine (every NodeProvider is one)."""

    name: str

    def image_id(self, image: str) -> str | None: ...

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class ImageInfo:
    """An image to load: the name as requested, its ID, and where it comes from."""

    name: str
    id: str
    #: Engine name ("docker", "podman") or the archive's path.
    source: str


@dataclass(frozen=True)
class NodeLoadResult:
    """What happened in one node."""

    node: str
    #: Images (or archives) streamed into the node.
    loaded: tuple[str, ...] = ()
    #: Images that were present under another name and got the requested one.
    retagged: tuple[str, ...] = ()
    #: Images already present under the requested name.
    present: tuple[str, ...] = ()
    #: Why the node failed (None: it succeeded).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class LoadReport:
    """Outcome of a load: the images and one result per target node."""

    cluster: str
    images: tuple[ImageInfo, ...] = ()
    nodes: tuple[NodeLoadResult, ...] = ()
    #: Bytes read from the engines and archives (each stream is read once for all nodes).
    bytes_streamed: int = 0

    @property
    def ok(self) -> bool:
        return all(n.ok for n in self.nodes)

    @property
    def failed(self) -> tuple[NodeLoadResult, ...]:
        return tuple(n for n in self.nodes if not n.ok)

    def node(self, name: str) -> NodeLoadResult:
        for result in self.nodes:
            if result.node == name:
                return result
        raise KeyError(name)

    def merge(self, other: LoadReport) -> LoadReport:
        """Combine two reports of the same cluster (node results are joined by node name)."""
        by_node: dict[str, NodeLoadResult] = {n.node: n for n in self.nodes}
        for res in other.nodes:
            old = by_node.get(res.node)
            by_node[res.node] = res if old is None else _join(old, res)
        return LoadReport(
            cluster=self.cluster,
            images=self.images + other.images,
            nodes=tuple(by_node[n] for n in sorted(by_node)),
            bytes_streamed=self.bytes_streamed + other.bytes_streamed,
        )


def _join(a: NodeLoadResult, b: NodeLoadResult) -> NodeLoadResult:
    errors = [e for e in (a.error, b.error) if e]
    return NodeLoadResult(
        node=a.node,
        loaded=a.loaded + b.loaded,
        retagged=a.retagged + b.retagged,
        present=a.present + b.present,
        error="; ".join(errors) or None,
    )


class ImageLoadError(PykindError):
    """Loading failed in at least one node; ``report`` has every node's outcome."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        lines = [f"failed to load images into {len(report.failed)} node(s):"]
        lines += [f"  {r.node}: {r.error}" for r in report.failed]
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------- helpers


def _concurrently(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="pykind-load") as pool:
        return list(pool.map(fn, items))


@dataclass
class _NodeState:
    """Per-node working state while loading."""

    node: Node
    images: node_store.NodeImages = field(default_factory=node_store.NodeImages)
    snapshotter: str | None = None
    platform: str | None = None
    loaded: list[str] = field(default_factory=list)
    retagged: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def result(self) -> NodeLoadResult:
        return NodeLoadResult(
            node=self.node.name,
            loaded=tuple(self.loaded),
            retagged=tuple(self.retagged),
            present=tuple(self.present),
            error="; ".join(self.errors) or None,
        )


def _prepare(state: _NodeState, *, inventory: bool) -> None:
    """Read the node's snapshotter, platform and (when asked) image inventory."""
    try:
        state.snapshotter = node_store.snapshotter(state.node)
        state.platform = node_store.platform(state.node)
        if inventory:
            state.images = node_store.list_images(state.node)
    except Exception as exc:
        state.errors.append(
            f"cannot inspect the images of node {state.node.name!r}: "
            f"{node_store.describe_failure(exc)}"
        )


def _importer(state: _NodeState, what: str) -> Callable[[Iterator[bytes]], None]:
    argv = node_store.import_argv(snapshotter=state.snapshotter, platform=state.platform)

    def sink(chunks: Iterator[bytes]) -> None:
        log.debug("importing %s into %s: %s", what, state.node.name, argv)
        state.node.run(argv, stdin=chunks)

    return sink


def _stream_into(
    states: Sequence[_NodeState], source: Iterator[bytes], what: str, loaded: Sequence[str]
) -> int:
    """Fan ``source`` out to the import command of every node in ``states``."""
    result = fan_out(source, [_importer(s, what) for s in states])
    for state, outcome in zip(states, result.outcomes, strict=True):
        if result.source_error is not None:
            state.errors.append(f"failed to read {what}: {result.source_error}")
        elif outcome.error is not None:
            state.errors.append(
                f"failed to load {what} into node {state.node.name!r}: "
                f"{node_store.describe_failure(outcome.error)}"
            )
        else:
            state.loaded.extend(loaded)
    return result.size


def _ensure_names(state: _NodeState, images: Sequence[ImageInfo]) -> None:
    """After an import: every requested name must resolve to its image's ID in the node."""
    try:
        inventory = node_store.list_images(state.node)
    except Exception as exc:
        state.errors.append(
            f"cannot list the images of node {state.node.name!r} after loading: "
            f"{node_store.describe_failure(exc)}"
        )
        return
    for info in images:
        if "@" in info.name:
            continue  # digest references carry no name to check
        wanted = full_name(info.name)
        if inventory.has(wanted, info.id):
            continue
        refs = inventory.refs_for(info.id)
        if not refs:
            state.errors.append(
                f"image {info.name!r} (ID {info.id}) is missing in node {state.node.name!r} "
                "after loading"
            )
            continue
        try:
            node_store.tag(state.node, refs[0], wanted)
        except Exception as exc:
            state.errors.append(
                f"failed to name image {info.name!r} in node {state.node.name!r}: "
                f"{node_store.describe_failure(exc)}"
            )


# ---------------------------------------------------------------- images from engines


def resolve_images(
    images: Sequence[str], sources: Sequence[ImageSource]
) -> tuple[list[ImageInfo], list[str]]:
    """Look each image up in ``sources`` in order; return (found, missing names)."""
    found: list[ImageInfo] = []
    missing: list[str] = []
    for image in dict.fromkeys(images):
        for source in sources:
            image_id = source.image_id(image)
            if image_id:
                found.append(ImageInfo(name=image, id=normalize_id(image_id), source=source.name))
                break
        else:
            missing.append(image)
    return found, missing


def _not_found(missing: Sequence[str], searched: str) -> ImageNotFoundError:
    names = ", ".join(f'"{m}"' for m in missing)
    plural = "s" if len(missing) > 1 else ""
    return ImageNotFoundError(f"image{plural}: {names} not present locally (searched: {searched})")


def load_images(
    provider: NodeProvider,
    cluster: str,
    images: Sequence[str],
    *,
    nodes: Sequence[str] | None = None,
    status: Status = NULL_STATUS,
    sources: Sequence[ImageSource] | None = None,
) -> LoadReport:
    """Load engine images into the cluster's nodes (``kind load docker-image``).

    ``sources`` are the engines searched, in order (default: the provider's own engine).
    Raises ImageNotFoundError before touching any node when an image is in none of them,
    ClusterNotFoundError / ConfigError for a missing cluster or unknown node, and
    ImageLoadError after every node finished when any node failed.
    """
    if not images:
        raise PykindError("a list of image names is required")
    engines: Sequence[ImageSource] = list(sources) if sources else [provider]
    infos, missing = resolve_images(images, engines)
    if missing:
        raise _not_found(missing, ", ".join(s.name for s in engines))
    targets = select_nodes(provider, cluster, nodes)
    states = [_NodeState(node=n) for n in targets]
    _concurrently(lambda s: _prepare(s, inventory=True), states)

    # Decide per node and image: present, re-tag, or load (upstream's order and messages).
    needs: dict[str, list[ImageInfo]] = {s.node.name: [] for s in states}
    for info in infos:
        wanted = full_name(info.name)
        touched = False
        for state in states:
            if state.errors:
                continue
            if "@" in info.name:
                exists = bool(state.images.refs_for(info.id))
                retag = False
            else:
                exists = state.images.has(wanted, info.id)
                retag = not exists and bool(state.images.refs_for(info.id))
            if exists:
                state.present.append(info.name)
                continue
            touched = True
            if retag:
                status.info(
                    f"Image with ID: {info.id} already present on the node {state.node.name} "
                    f"but is missing the tag {wanted}. re-tagging..."
                )
                try:
                    node_store.tag(state.node, state.images.refs_for(info.id)[0], wanted)
                    state.retagged.append(info.name)
                    continue
                except Exception as exc:
                    status.info(
                        f"failed to re-tag image on the node {state.node.name} due to an error "
                        f"{node_store.describe_failure(exc)}. Will load it instead..."
                    )
            status.info(
                f'Image: "{info.name}" with ID "{info.id}" not yet present on node '
                f'"{state.node.name}", loading...'
            )
            needs[state.node.name].append(info)
        if not touched:
            status.info(
                f'Image: "{info.name}" with ID "{info.id}" found to be already present on all '
                "nodes."
            )

    # One stream per group of nodes that need the same images from the same engine.
    by_source = {s.name: s for s in engines}
    groups: dict[tuple[str, tuple[str, ...]], list[_NodeState]] = {}
    for state in states:
        per_source: dict[str, list[str]] = {}
        for info in needs[state.node.name]:
            per_source.setdefault(info.source, []).append(info.name)
        for source_name, names in per_source.items():
            groups.setdefault((source_name, tuple(names)), []).append(state)
    streamed = 0
    for (source_name, group_names), members in groups.items():
        what = ", ".join(f'"{n}"' for n in group_names)
        try:
            stream = by_source[source_name].save_images(list(group_names))
        except Exception as exc:
            for state in members:
                state.errors.append(f"failed to save {what} from {source_name}: {exc}")
            continue
        streamed += _stream_into(members, stream, f"image(s) {what}", group_names)

    loaded_states = [s for s in states if s.loaded]
    info_by_name = {i.name: i for i in infos}
    _concurrently(
        lambda s: _ensure_names(s, [info_by_name[n] for n in dict.fromkeys(s.loaded)]),
        loaded_states,
    )
    report = LoadReport(
        cluster=cluster,
        images=tuple(infos),
        nodes=tuple(s.result() for s in states),
        bytes_streamed=streamed,
    )
    if not report.ok:
        raise ImageLoadError(report)
    return report


# ---------------------------------------------------------------- archives


def load_archives(
    provider: NodeProvider,
    cluster: str,
    paths: Sequence[str | Path],
    *,
    nodes: Sequence[str] | None = None,
    status: Status = NULL_STATUS,
) -> LoadReport:
    """Load image archives into the cluster's nodes (``kind load image-archive``).

    Every archive is checked first (ArchiveError names a missing, unreadable or non-image
    file before any node is touched); each is then read once and streamed into all nodes.
    """
    if not paths:
        raise PykindError("name of image archive is required")
    archives = [inspect_archive(p) for p in dict.fromkeys(str(p) for p in paths)]
    targets = select_nodes(provider, cluster, nodes)
    return _load_checked_archives(targets, cluster, archives, status)


def _load_checked_archives(
    targets: Sequence[Node], cluster: str, archives: Sequence[ImageArchive], status: Status
) -> LoadReport:
    states = [_NodeState(node=n) for n in targets]
    _concurrently(lambda s: _prepare(s, inventory=False), states)
    streamed = 0
    for archive in archives:
        ready = [s for s in states if not s.errors]
        if not ready:
            break
        label = str(archive.path)
        names = ", ".join(archive.names) or "unnamed images"
        status.info(f'Loading image archive "{label}" ({names}) into {len(ready)} node(s)...')
        streamed += _stream_into(ready, archive.chunks(), f'archive "{label}"', [label])
    report = LoadReport(
        cluster=cluster,
        images=tuple(
            ImageInfo(name=n, id="", source=str(a.path)) for a in archives for n in a.names
        ),
        nodes=tuple(s.result() for s in states),
        bytes_streamed=streamed,
    )
    if not report.ok:
        raise ImageLoadError(report)
    return report


# ---------------------------------------------------------------- any source


def load_any(
    provider: NodeProvider,
    cluster: str,
    refs: Sequence[str],
    *,
    nodes: Sequence[str] | None = None,
    status: Status = NULL_STATUS,
    other_sources: Sequence[ImageSource] = (),
) -> LoadReport:
    """``kind load image REF...``: each REF is an image of the provider's engine, else of one
    of ``other_sources`` (other engines), else an archive file.

    Everything is resolved before any node is touched.
    """
    if not refs:
        raise PykindError("a list of images or image archives is required")
    engines: list[ImageSource] = [provider, *other_sources]
    infos, missing = resolve_images(refs, engines)
    archives: list[ImageArchive] = []
    not_found: list[str] = []
    for ref in missing:
        if Path(ref).exists():
            archives.append(inspect_archive(ref))
        else:
            not_found.append(ref)
    if not_found:
        searched = ", ".join(s.name for s in engines) + " and the file system"
        raise _not_found(not_found, searched)
    targets = select_nodes(provider, cluster, nodes)
    names = [t.name for t in targets]
    report = LoadReport(cluster=cluster)
    failure: ImageLoadError | None = None
    if infos:
        try:
            report = report.merge(
                load_images(
                    provider,
                    cluster,
                    [i.name for i in infos],
                    nodes=names,
                    status=status,
                    sources=engines,
                )
            )
        except ImageLoadError as exc:
            report, failure = report.merge(exc.report), exc
    if archives:
        try:
            report = report.merge(_load_checked_archives(targets, cluster, archives, status))
        except ImageLoadError as exc:
            report, failure = report.merge(exc.report), exc
    if failure is not None:
        raise ImageLoadError(replace(report))
    return report


def other_engines(provider: NodeProvider, pm: PykindPluginManager) -> list[ImageSource]:
    """Every available node provider other than ``provider``, by priority (for :func:`load_any`).

    An engine that cannot be reached is left out.
    """
    found: list[ImageSource] = []
    specs = sorted(pm.node_providers().values(), key=lambda s: (s.priority, s.name))
    for spec in specs:
        if spec.name == provider.name:
            continue
        try:
            if spec.is_available():
                found.append(spec.factory())
        except Exception as exc:  # a dead socket must not break loading from the others
            log.debug("image source %s not available: %s", spec.name, exc)
    return found
