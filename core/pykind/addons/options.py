"""Add-on choices from the user: ``--addon NAME[:key=value,...]`` and option validation.

Options are validated with each add-on's pydantic ``options_model`` (``extra="forbid"``); a bad
value becomes one :class:`AddonOptionsError` line naming the add-on and the option.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from pykind.errors import AddonError, ConfigError

if TYPE_CHECKING:
    from pykind.plugin.manager import PykindPluginManager
    from pykind.plugin.types import AddonSpec

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

#: What users pass: add-on name -> options (raw strings/values, or an already validated model).
Selection = Mapping[str, "Mapping[str, Any] | BaseModel"]


class AddonOptionsError(ConfigError, AddonError):
    """Bad add-on choice or option. Both a :class:`ConfigError` (user input) and an
    :class:`AddonError`; ``addon`` and ``option`` name what is wrong."""

    def __init__(self, addon: str, message: str, *, option: str | None = None) -> None:
        field = f"addons.{addon}" + (f".{option}" if option else "")
        ConfigError.__init__(self, message, field=field)
        self.addon = addon
        self.option = option
        where = f"add-on {addon!r}" + (f": option {option!r}" if option else "")
        self.args = (f"{where}: {message}",)


def normalise_name(name: str) -> str:
    """Add-on names are matched case-insensitively, as plugin names are."""
    return name.strip().lower()


def _check_name(name: str, raw: str) -> str:
    norm = normalise_name(name)
    if not _NAME_RE.match(norm):
        raise ConfigError(f"invalid add-on name in {raw!r}: expected NAME[:key=value,...]")
    return norm


def parse_addon_arg(text: str) -> tuple[str, dict[str, str]]:
    """Parse one ``--addon`` value: ``NAME`` or ``NAME:key=value,key2=value2``.

    Keys may use ``-`` for ``_`` (``http-port`` is ``http_port``); values are strings that the
    add-on's options model converts. A value may contain ``=`` but not ``,``.
    """
    name, sep, rest = text.partition(":")
    norm = _check_name(name, text)
    options: dict[str, str] = {}
    if not sep:
        return norm, options
    if not rest.strip():
        raise AddonOptionsError(norm, f"expected key=value after ':' in {text!r}")
    for item in rest.split(","):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not _KEY_RE.match(key):
            raise AddonOptionsError(norm, f"expected key=value, got {item.strip()!r} in {text!r}")
        key = key.replace("-", "_")
        if key in options:
            raise AddonOptionsError(norm, "given twice", option=key)
        options[key] = value.strip()
    return norm, options


def parse_addon_args(values: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Parse repeated ``--addon`` flags; the same add-on given twice merges its options
    (later values win). Order of first appearance is the install order."""
    selection: dict[str, dict[str, Any]] = {}
    for value in values:
        name, options = parse_addon_arg(value)
        selection.setdefault(name, {}).update(options)
    return selection


def merge_selections(*selections: Selection) -> dict[str, dict[str, Any]]:
    """Merge selections (an add-ons file, then flags): later ones add add-ons and override
    single options. Validated models are turned back into their set options."""
    merged: dict[str, dict[str, Any]] = {}
    for selection in selections:
        for name, options in selection.items():
            if isinstance(options, BaseModel):
                values = options.model_dump(exclude_unset=True)
            else:
                values = dict(options)
            merged.setdefault(normalise_name(name), {}).update(values)
    return merged


def _describe(error: Mapping[str, Any]) -> tuple[str | None, str]:
    loc = ".".join(str(p) for p in error.get("loc", ()))
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid value"))
    if kind == "extra_forbidden":
        return loc or None, "unknown option"
    if kind == "missing":
        return loc or None, "required option is missing"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if "input" in error and kind not in {"model_type", "dict_type"} and loc:
        message = f"{message} (got {error['input']!r})"
    return loc or None, message


def validation_error(addon: str, exc: ValidationError, model: type[BaseModel]) -> AddonOptionsError:
    """One line for a pydantic error: the first problem, plus a count of the others."""
    errors = exc.errors()
    option, message = _describe(errors[0]) if errors else (None, str(exc))
    if errors and errors[0].get("type") == "extra_forbidden":
        known = ", ".join(sorted(model.model_fields)) or "none"
        message = f"{message}; valid options: {known}"
    if len(errors) > 1:
        message = f"{message} (and {len(errors) - 1} more problem(s))"
    return AddonOptionsError(addon, message, option=option)


def get_spec(pm: PykindPluginManager, name: str) -> AddonSpec:
    """The registered add-on ``name``; an unknown name is a ConfigError listing the known ones."""
    specs = pm.addons()
    norm = normalise_name(name)
    spec = specs.get(norm)
    if spec is None:
        known = ", ".join(sorted(specs)) or "none installed"
        raise AddonOptionsError(norm, f"unknown add-on; available add-ons: {known}")
    return spec


def validate_spec_options(spec: AddonSpec, options: Mapping[str, Any] | BaseModel | None) -> Any:
    """``options`` checked against ``spec.options_model`` (a model instance passes through)."""
    model = spec.options_model
    if isinstance(options, model):
        return options
    if isinstance(options, BaseModel):
        options = options.model_dump(exclude_unset=True)
    try:
        return model.model_validate(dict(options or {}))
    except ValidationError as exc:
        raise validation_error(spec.name, exc, model) from None


def validate_options(
    pm: PykindPluginManager, name: str, options: Mapping[str, Any] | BaseModel | None
) -> Any:
    """Validate the options of add-on ``name``; returns the options model instance."""
    return validate_spec_options(get_spec(pm, name), options)


def resolve_selection(pm: PykindPluginManager, selection: Selection | None) -> dict[str, Any]:
    """Validate a whole selection: name -> options model, in the given (install) order."""
    resolved: dict[str, Any] = {}
    specs: list[AddonSpec] = []
    for name, options in (selection or {}).items():
        spec = get_spec(pm, name)
        resolved[spec.name] = validate_spec_options(spec, options)
        specs.append(spec)
    for spec in specs:
        for other in spec.conflicts:
            if normalise_name(other) in resolved:
                raise AddonOptionsError(
                    spec.name, f"cannot be installed together with add-on {normalise_name(other)!r}"
                )
    return resolved
