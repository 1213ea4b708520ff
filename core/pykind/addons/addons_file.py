"""The add-ons file: add-on choices kept apart from the (upstream-compatible) cluster config.

::

    addons:
    - name: ingress-nginx
      options:
        http_port: 8080
    - name: registry
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pykind.addons.options import normalise_name
from pykind.errors import ConfigError


class AddonEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


class AddonsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    addons: list[AddonEntry] = Field(default_factory=list)


def _error(source: str, message: str, field: str | None = None) -> ConfigError:
    """``<file>: <field>: <message>`` (ConfigError keeps ``field`` for callers)."""
    err = ConfigError(message, field=field)
    err.args = (f"{source}: {field}: {message}" if field else f"{source}: {message}",)
    return err


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def parse_addons_file(text: str, *, source: str = "add-ons file") -> dict[str, dict[str, Any]]:
    """Parse add-ons file text into a selection (name -> raw options), in file order."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise _error(source, f"invalid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _error(source, "expected a mapping with an 'addons' list")
    try:
        parsed = AddonsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = _field_path(tuple(err["loc"]))
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        raise _error(source, msg, path) from None
    selection: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(parsed.addons):
        name = normalise_name(entry.name)
        if name in selection:
            raise _error(source, f"add-on {name!r} is listed twice", f"addons[{index}]")
        selection[name] = dict(entry.options)
    return selection


def load_addons_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read an add-ons file (``-`` is not special here: the CLI reads stdin itself)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read add-ons file {str(p)!r}: {exc.strerror}") from None
    return parse_addons_file(text, source=str(p))
