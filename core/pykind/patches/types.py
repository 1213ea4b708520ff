"""Result types shared by the kubeadm and containerd patchers."""

from __future__ import annotations

from dataclasses import dataclass

from pykind.errors import PatchError


@dataclass(frozen=True)
class Rendered:
    """A rendered (and patched) config file and the warnings about its patches."""

    text: str
    warnings: tuple[str, ...] = ()


class PatchApplyError(PatchError):
    """A patch matched a document but could not be applied to it (as opposed to a patch that
    cannot even be parsed). Early checks on placeholder data ignore these."""


def patch_error(message: str, *, label: str | None = None) -> PatchError:
    """A :class:`PatchError` whose message is complete on its own and whose ``field`` names the
    patch (``kubeadmConfigPatches[0]``), for callers that want it."""
    err = PatchError(message)
    err.field = label
    return err


def apply_error(message: str, *, label: str | None = None) -> PatchApplyError:
    err = PatchApplyError(message)
    err.field = label
    return err
