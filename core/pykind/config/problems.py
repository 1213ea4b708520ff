"""One-line :class:`~pykind.errors.ConfigError` from field paths and pydantic errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from pykind.config.validators import closest, kind_of, one_line, show
from pykind.errors import ConfigError

PathPart = str | int
_PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def format_path(parts: Sequence[PathPart]) -> str:
    """``("nodes", 1, "labels", "a/b")`` -> ``nodes[1].labels["a/b"]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY_RE.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{show(part, limit=80)}]"
    return out


def config_error(parts: Sequence[PathPart], reason: str) -> ConfigError:
    """A ConfigError for the field at ``parts`` (empty: the whole document)."""
    return ConfigError(one_line(reason) or "invalid value", field=format_path(parts) or None)


def unknown_field_reason(key: str, valid: Sequence[str]) -> str:
    guess = closest(key, valid)
    if guess is not None:
        return f"unknown field (did you mean {guess}?)"
    return f"unknown field (valid fields: {', '.join(valid)})"


def _alias_path(model: type[BaseModel] | None, loc: Sequence[Any]) -> tuple[list[PathPart], bool]:
    """pydantic's ``loc`` in upstream (camelCase) names; also tells if the last part is a
    dict key (pydantic appends ``"[key]"`` for errors in keys)."""
    parts: list[PathPart] = []
    is_key = False
    current: Any = model
    for item in loc:
        if item == "[key]":
            is_key = True
            continue
        if isinstance(item, int):
            parts.append(item)
            continue
        name = str(item)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = current.model_fields
            field = fields.get(name)
            if field is None:
                # pydantic reports by alias; find the field carrying it
                field = next((f for f in fields.values() if f.alias == name), None)
            if field is not None:
                parts.append(field.alias or name)
                current = _inner_model(field.annotation)
                continue
        parts.append(name)
    return parts, is_key


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model type inside ``Model``, ``list[Model]``, ``dict[str, Model]``, ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def from_validation_error(
    exc: ValidationError, model: type[BaseModel] | None = None
) -> ConfigError:
    """The first error of ``exc`` as a one-line ConfigError with the upstream field path."""
    errors = exc.errors(include_url=False)
    if not errors:
        return ConfigError("invalid config")
    err = errors[0]
    parts, is_key = _alias_path(model, err.get("loc", ()))
    kind = err.get("type", "")
    value = err.get("input")
    ctx = err.get("ctx") or {}
    reason: str
    if kind == "missing":
        reason = "required field missing"
    elif kind == "extra_forbidden":
        key = parts[-1] if parts else ""
        valid = _valid_names(model, parts[:-1])
        reason = unknown_field_reason(str(key), valid) if valid else "unknown field"
    elif kind == "enum":
        expected = ctx.get("expected", "one of the allowed values")
        reason = f"invalid value {show(value)} (must be {expected})"
    elif kind.startswith("int_"):
        reason = f"expected an integer, got {_describe(value)}"
    elif kind.startswith("bool_"):
        reason = f"expected a boolean (true or false), got {_describe(value)}"
    elif kind.startswith("string_"):
        reason = f"expected a string, got {_describe(value)}"
    elif kind in ("list_type", "tuple_type"):
        reason = f"expected a list, got {_describe(value)}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        reason = f"expected a mapping, got {_describe(value)}"
    elif kind == "value_error":
        reason = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    else:
        reason = str(err.get("msg", "invalid value"))
    if is_key and kind != "value_error":
        reason = f"invalid key: {reason}"
    return config_error(parts, reason)


def _describe(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return show(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return kind_of(value)


def _valid_names(model: type[BaseModel] | None, parts: Sequence[PathPart]) -> list[str]:
    """The upstream names of the fields of the model at ``parts``."""
    current: Any = model
    for part in parts:
        if isinstance(part, int) or current is None:
            continue
        field = next((f for f in current.model_fields.values() if f.alias == part), None)
        if field is None:
            field = current.model_fields.get(str(part))
        current = _inner_model(field.annotation) if field is not None else None
    if current is None:
        return []
    return [f.alias or n for n, f in current.model_fields.items()]
