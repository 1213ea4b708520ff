"""What is installed: ``kind addon list`` and ``kind addon show NAME``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pykind.addons.options import get_spec

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykind.plugin.manager import PykindPluginManager
    from pykind.plugin.types import AddonSpec


@dataclass(frozen=True, slots=True)
class AddonInfo:
    """One installed add-on, for listing."""

    name: str
    description: str
    #: The distribution and version that registered it (``pykind``/``builtin`` for core).
    distribution: str
    version: str
    #: Names of its options (see :func:`addon_schema` for types and defaults).
    options: tuple[str, ...]
    changes_config: bool
    removable: bool


def _owners(pm: PykindPluginManager) -> dict[str, str]:
    """Add-on name -> name of the plugin that registers it."""
    owners: dict[str, str] = {}
    for impl in pm.hook.pykind_addons.get_hookimpls():
        try:
            specs: list[AddonSpec] = list(cast("Iterable[AddonSpec]", impl.function() or ()))
        except Exception:
            continue
        for spec in specs:
            owners.setdefault(spec.name, impl.plugin_name)
    return owners


def list_addons(pm: PykindPluginManager) -> list[AddonInfo]:
    """All registered add-ons, sorted by name."""
    owners = _owners(pm)
    infos = []
    for name, spec in sorted(pm.addons().items()):
        project, version = pm.distributions.get(owners.get(name, ""), ("pykind", "builtin"))
        infos.append(
            AddonInfo(
                name=name,
                description=spec.description,
                distribution=project,
                version=version,
                options=tuple(spec.options_model.model_fields),
                changes_config=spec.prepare is not None,
                removable=spec.remove is not None,
            )
        )
    return infos


def addon_schema(pm: PykindPluginManager, name: str) -> dict[str, Any]:
    """The JSON schema of add-on ``name``'s options (``kind addon show NAME``)."""
    spec = get_spec(pm, name)
    schema = spec.options_model.model_json_schema()
    schema["title"] = spec.name
    if spec.description:
        schema.setdefault("description", spec.description)
    return schema
