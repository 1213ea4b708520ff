"""Merge a kind cluster into a kubeconfig file, or remove it, safely.

* Locking is client-go's (and kind's): the exclusive creation of ``<file>.lock``, removed when
  done, so kubectl and pykind never write the same file at once. A held lock is waited for
  until ``lock_timeout``, then :class:`KubeconfigLockError`.
* The file is replaced atomically (a temporary file in the same folder, fsync, ``os.replace``):
  a crash never leaves half a kubeconfig. A new file gets mode 0600; an existing file keeps
  its mode and owner.
* A file that cannot be read or parsed is a ConfigError naming it and is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pykind.errors import ConfigError, PykindError
from pykind.kubeconfig.model import (
    Document,
    KubeconfigEntries,
    context_name,
    dump_document,
    find_entries,
    merge_entries,
    parse_document,
    remove_entries,
)
from pykind.kubeconfig.paths import KubeconfigTarget, removal_targets

LOCK_SUFFIX = ".lock"
#: Seconds to wait for a lock held by another process.
DEFAULT_LOCK_TIMEOUT = 5.0
_LOCK_POLL = 0.05
NEW_FILE_MODE = 0o600
NEW_DIR_MODE = 0o755

#: Test hook: called with (temporary file, destination) after the new content is written and
#: before it replaces the destination. Tests set it to raise, to prove the old file survives.
before_replace: Callable[[Path, Path], None] | None = None


class KubeconfigLockError(PykindError):
    """The kubeconfig's ``.lock`` file stayed in place (another writer, or a stale lock)."""


def write_cluster(
    target: KubeconfigTarget | str | os.PathLike[str],
    entries: KubeconfigEntries,
    *,
    set_current: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Path:
    """Merge ``entries`` into the target file (replacing same-named entries, keeping all
    others), make it the current context unless ``set_current`` is False, and return the path
    written."""
    target = _as_target(target)
    path = target.path
    _make_parents(path.parent, target)
    with _locked(path, lock_timeout):
        doc = read_kubeconfig(path)
        with _too_deep(path):
            text = dump_document(merge_entries(doc, entries, set_current=set_current))
        _replace_file(path, text, target)
    return path


def remove_cluster(
    target: KubeconfigTarget | str | os.PathLike[str],
    cluster_name: str,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> bool:
    """Remove the ``kind-<cluster_name>`` cluster, user and context from the file, and unset
    the current context if it pointed there. True if the file changed; a missing file is
    left missing."""
    target = _as_target(target)
    path = target.path
    if not path.exists():
        return False
    with _locked(path, lock_timeout):
        doc = read_kubeconfig(path)
        with _too_deep(path):
            doc, changed = remove_entries(doc, context_name(cluster_name))
            text = dump_document(doc) if changed else ""
        if changed:
            _replace_file(path, text, target)
    return changed


def remove_from_kubeconfigs(
    cluster_name: str,
    explicit: str | os.PathLike[str] | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> list[Path]:
    """Remove the cluster from every kubeconfig file kubectl reads (``--kubeconfig``, else each
    $KUBECONFIG entry, else ~/.kube/config), as ``kind delete cluster`` does. Returns the files
    changed."""
    changed: list[Path] = []
    for target in removal_targets(explicit):
        if remove_cluster(target, cluster_name, lock_timeout=lock_timeout):
            changed.append(target.path)
    return changed


def read_kubeconfig(path: str | os.PathLike[str]) -> Document:
    """The kubeconfig at ``path`` as data; a missing or empty file is an empty kubeconfig."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigError(f"kubeconfig {path} is a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"kubeconfig {path} is not UTF-8 text") from None
    return parse_document(text, str(path))


def read_cluster_entries(
    path: str | os.PathLike[str], cluster_name: str
) -> KubeconfigEntries | None:
    """The ``kind-<cluster_name>`` entries stored in the file at ``path``, if all are there."""
    doc = read_kubeconfig(path)
    with _too_deep(Path(path)):
        return find_entries(doc, context_name(cluster_name))


@contextlib.contextmanager
def _too_deep(path: Path) -> Iterator[None]:
    """Nesting that PyYAML could read but Python cannot copy or write back."""
    try:
        yield
    except RecursionError:
        raise ConfigError(f"kubeconfig {path} is nested too deeply to update") from None


# -- locking ------------------------------------------------------------------------------------


def lock_path(path: Path) -> Path:
    """client-go's lock file for ``path``: the same name plus ``.lock``."""
    return path.with_name(path.name + LOCK_SUFFIX)


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    lock = lock_path(path)
    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            if time.monotonic() >= deadline:
                raise KubeconfigLockError(
                    f"could not lock kubeconfig {path}: {lock} exists (another kind or kubectl "
                    f"is writing the file); if none is running, remove {lock} and retry"
                ) from None
            time.sleep(_LOCK_POLL)
            continue
        except OSError as exc:
            raise ConfigError(
                f"cannot lock kubeconfig {path} ({lock}): {exc.strerror or exc}"
            ) from None
        os.close(fd)
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)


# -- writing ------------------------------------------------------------------------------------


def _as_target(target: KubeconfigTarget | str | os.PathLike[str]) -> KubeconfigTarget:
    if isinstance(target, KubeconfigTarget):
        return target
    return KubeconfigTarget(Path(os.fspath(target)))


def _make_parents(folder: Path, target: KubeconfigTarget) -> None:
    """Create ``folder`` (and missing parents) like upstream (0755), owned by the target's
    owner when one is set."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=NEW_DIR_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(
                f"cannot create folder {created} for kubeconfig {target.path}: "
                f"{exc.strerror or exc}"
            ) from None
        _chown(created, target.owner_uid, target.owner_gid)


def _chown(path: Path, uid: int | None, gid: int | None) -> None:
    if uid is None and gid is None:
        return
    with contextlib.suppress(PermissionError):
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)


def _replace_file(path: Path, text: str, target: KubeconfigTarget) -> None:
    """Atomically replace the file behind ``path`` (following a symlink) with ``text``."""
    real = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise ConfigError(f"cannot write kubeconfig {path}: {exc.strerror or exc}") from None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write kubeconfig {path}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is not None:
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                _chown(tmp, existing.st_uid, existing.st_gid)
        else:
            os.chmod(tmp, NEW_FILE_MODE)
            _chown(tmp, target.owner_uid, target.owner_gid)
        hook = before_replace
        if hook is not None:
            hook(tmp, real)
        os.replace(tmp, real)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write kubeconfig {path}: {exc.strerror or exc}") from None
        raise
    _fsync_dir(real.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
