"""Which kubeconfig file kind writes to, following kubectl's rules (as upstream kind does).

1. ``--kubeconfig`` wins;
2. else ``$KUBECONFIG``, a list separated by ``os.pathsep``: the first file that exists, else
   the last entry;
3. else ``~/.kube/config``.

pykind adds one rule: under ``sudo`` (effective uid 0 and ``$SUDO_USER`` set, no explicit path
and no ``$KUBECONFIG``) the file is the invoking user's ``~/.kube/config``, and files and
folders created for it are given to that user, so that ``sudo kind create cluster`` does not
leave the cluster in root's kubeconfig.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KUBECONFIG_ENV = "KUBECONFIG"
SUDO_USER_ENV = "SUDO_USER"


@dataclass(frozen=True)
class KubeconfigTarget:
    """A kubeconfig file to write, and who should own what is created for it."""

    path: Path
    #: Owner for files and folders created for this target (None: the current user).
    owner_uid: int | None = None
    owner_gid: int | None = None
    #: Why this file was chosen, for the user (empty when it is the plain default).
    note: str = ""


def kubeconfig_paths(
    explicit: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> list[Path]:
    """Every file kubectl would read: the explicit path, else the $KUBECONFIG entries (empty and
    duplicate entries dropped), else ``~/.kube/config``."""
    env = os.environ if env is None else env
    if explicit:
        return [Path(os.fspath(explicit))]
    listed = _kubeconfig_env(env)
    if listed:
        return listed
    return [_home(env) / ".kube" / "config"]


def resolve_target(
    explicit: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> KubeconfigTarget:
    """The file a cluster's entries are merged into (kubectl's "file to modify" rule)."""
    env = os.environ if env is None else env
    if explicit:
        return KubeconfigTarget(Path(os.fspath(explicit)))
    listed = _kubeconfig_env(env)
    if listed:
        if len(listed) == 1:
            return KubeconfigTarget(listed[0])
        for path in listed:
            if path.is_file():
                return KubeconfigTarget(path, note=f"first existing file in ${KUBECONFIG_ENV}")
        return KubeconfigTarget(
            listed[-1], note=f"last entry of ${KUBECONFIG_ENV} (none of its files exist yet)"
        )
    sudo = _sudo_target(env)
    if sudo is not None:
        return sudo
    return KubeconfigTarget(_home(env) / ".kube" / "config")


def removal_targets(
    explicit: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None
) -> list[KubeconfigTarget]:
    """The files a cluster's entries are removed from (all files kubectl reads, as upstream)."""
    env = os.environ if env is None else env
    if not explicit and not _kubeconfig_env(env):
        sudo = _sudo_target(env)
        if sudo is not None:
            return [sudo]
    return [KubeconfigTarget(path) for path in kubeconfig_paths(explicit, env=env)]


def _kubeconfig_env(env: Mapping[str, str]) -> list[Path]:
    seen: list[str] = []
    for entry in env.get(KUBECONFIG_ENV, "").split(os.pathsep):
        if entry and entry not in seen:
            seen.append(entry)
    return [Path(entry) for entry in seen]


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def _sudo_target(env: Mapping[str, str]) -> KubeconfigTarget | None:
    """The invoking user's kubeconfig when running as root through sudo, else None."""
    user = env.get(SUDO_USER_ENV, "")
    if not user or user == "root" or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    if entry.pw_uid == 0 or not entry.pw_dir:
        return None
    return KubeconfigTarget(
        Path(entry.pw_dir) / ".kube" / "config",
        owner_uid=entry.pw_uid,
        owner_gid=entry.pw_gid,
        note=f"running under sudo: using the kubeconfig of user {user}",
    )
