"""Strict decoding of config YAML into plain data for the models, the way kind's yaml.v3 does it.

The YAML node tree is walked together with the models' field types, so that:

* an unknown (or misspelt) field is an error naming its path, with the closest valid name;
* a duplicate key is an error (yaml.v3 rejects them too);
* a string field takes the scalar's text as written (``labels: {tier: 1.10}`` is ``"1.10"``),
  while an integer field refuses a quoted ``"80"`` and a boolean field refuses ``"maybe"``;
* ``null`` (or an empty value) means "not set", so the default applies;
* merge keys (``<<: *anchor``) work.

The result is validated by the pydantic models afterwards.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from enum import Enum
from typing import Any

import yaml
from pydantic import BaseModel
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pykind.config.problems import PathPart, config_error, unknown_field_reason
from pykind.config.validators import describe_yaml_error, show
from pykind.config.yamlcore import (
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
    MERGE_TAG,
    NULL_TAG,
    CoreSafeLoader,
    bool_1_1,
    parse_core_int,
)
from pykind.errors import ConfigError

_UNSET: Any = object()
FieldPath = tuple[PathPart, ...]
Pair = tuple[str, ScalarNode, Node]


def compose(text: str) -> Node | None:
    """The single YAML document in ``text`` as a node tree (None when empty)."""
    try:
        documents = list(yaml.compose_all(text, Loader=CoreSafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {describe_yaml_error(exc)}") from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply") from None
    documents = [doc for doc in documents if not _is_null(doc)]
    if len(documents) > 1:
        raise ConfigError(
            f"expected a single YAML document, found {len(documents)} (separated by ---)"
        )
    return documents[0] if documents else None


def decode_document(root: Node | None, model: type[BaseModel], type_meta: dict[str, str]) -> Any:
    """Plain data for ``model`` from the document ``root``, after checking the fields in
    ``type_meta`` (``{"apiVersion": ..., "kind": ...}``) as upstream does before decoding."""
    if root is None:
        expected = ", ".join(f"{k}: {v}" for k, v in type_meta.items())
        raise config_error((), f"the config is empty (expected a mapping with {expected})")
    if not isinstance(root, MappingNode):
        raise config_error((), f"the config must be a YAML mapping, got {_describe(root)}")
    pairs = _pairs(root, ())
    present = {key: node for key, _, node in pairs}
    for field, expected in type_meta.items():
        _check_type_meta(field, expected, present.get(field))
    try:
        return _decode_model_pairs(pairs, model, ())
    except RecursionError:
        raise config_error((), "the config is nested too deeply") from None


def _check_type_meta(field: str, expected: str, node: Node | None) -> None:
    if node is None or _is_null(node):
        raise config_error((field,), f"missing (expected {field}: {expected})")
    if not isinstance(node, ScalarNode):
        raise config_error((field,), f"expected a string, got {_describe(node)}")
    value = node.value
    if value == expected:
        return
    if field == "apiVersion" and value.startswith("kind.sigs.k8s.io/"):
        raise config_error(
            (field,),
            f"{show(value)} is no longer supported: use apiVersion: {expected} "
            "(and the v1alpha4 field names)",
        )
    raise config_error((field,), f"unknown {field} {show(value)} (expected {expected})")


# -- node tree walking --------------------------------------------------------------------------


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing (null)"
    if node.tag in (BOOL_TAG, INT_TAG, FLOAT_TAG):
        return node.value if len(node.value) <= 40 else node.value[:39] + "…"
    if isinstance(node, ScalarNode) and node.style in ("'", '"'):
        return f"the string {show(node.value)}"
    return show(node.value)


def _pairs(node: MappingNode, path: FieldPath, stack: tuple[int, ...] = ()) -> list[Pair]:
    """The mapping's key/value pairs with merge keys resolved; duplicate keys are errors."""
    if id(node) in stack:
        raise config_error(path, "recursive merge (<<) of a mapping into itself")
    stack = (*stack, id(node))
    own: dict[str, Pair] = {}
    lines: dict[str, int] = {}
    merged: list[list[Pair]] = []
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            merged.extend(_merge_sources(value_node, path, stack))
            continue
        if not isinstance(key_node, ScalarNode):
            raise config_error(path, f"mapping keys must be strings, got {_describe(key_node)}")
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in own:
            raise config_error(
                (*path, key), f"duplicate key (already defined at line {lines[key]})"
            )
        own[key] = (key, key_node, value_node)
        lines[key] = line
    result: dict[str, Pair] = {}
    for source in merged:  # earlier merge sources win, own keys win over all
        for pair in source:
            result.setdefault(pair[0], pair)
    for key, pair in own.items():
        result.pop(key, None)
        result[key] = pair
    return list(result.values())


def _merge_sources(node: Node, path: FieldPath, stack: tuple[int, ...]) -> list[list[Pair]]:
    if isinstance(node, MappingNode):
        return [_pairs(node, path, stack)]
    if isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
        return [_pairs(n, path, stack) for n in node.value if isinstance(n, MappingNode)]
    raise config_error(path, "a merge key (<<) needs a mapping or a list of mappings")


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` -> X, ``X | None`` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                raise TypeError(f"unsupported config field type {annotation!r}")
            annotation = args[0]
        else:
            return annotation


def _zero(annotation: Any) -> Any:
    """yaml.v3 decodes ``null`` inside a list or map to the zero value of the element type."""
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        return []
    if origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return {}
    if annotation is bool:
        return False
    if annotation is int:
        return 0
    return ""


def _decode(node: Node, annotation: Any, path: FieldPath) -> Any:
    if _is_null(node):
        return _UNSET
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(node, MappingNode):
            raise config_error(path, f"expected a mapping, got {_describe(node)}")
        return _decode_model_pairs(_pairs(node, path), annotation, path)
    if origin is list:
        if not isinstance(node, SequenceNode):
            raise config_error(path, f"expected a list, got {_describe(node)}")
        (item_type,) = typing.get_args(annotation)
        items = []
        for index, item in enumerate(node.value):
            value = _decode(item, item_type, (*path, index))
            items.append(_zero(item_type) if value is _UNSET else value)
        return items
    if origin is dict:
        if not isinstance(node, MappingNode):
            raise config_error(path, f"expected a mapping, got {_describe(node)}")
        _, value_type = typing.get_args(annotation)
        out: dict[str, Any] = {}
        for key, _, value_node in _pairs(node, path):
            value = _decode(value_node, value_type, (*path, key))
            out[key] = _zero(value_type) if value is _UNSET else value
        return out
    if annotation is bool:
        return _decode_bool(node, path)
    if annotation is int:
        return _decode_int(node, path)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        text = _scalar_text(node, path, "a string")
        return _UNSET if text == "" else text  # upstream: empty means "use the default"
    if annotation is str:
        return _scalar_text(node, path, "a string")
    raise TypeError(f"unsupported config field type {annotation!r}")


def _decode_model_pairs(
    pairs: Sequence[Pair], model: type[BaseModel], path: FieldPath
) -> dict[str, Any]:
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    out: dict[str, Any] = {}
    for key, _, value_node in pairs:
        info = fields.get(key)
        if info is None:
            raise config_error((*path, key), _unknown_field(key, model, list(fields)))
        value = _decode(value_node, info.annotation, (*path, key))
        if value is not _UNSET:
            out[key] = value
    return out


def _scalar_text(node: Node, path: FieldPath, expected: str) -> str:
    if not isinstance(node, ScalarNode):
        hint = ""
        last = next((p for p in reversed(path) if isinstance(p, str)), "")
        if isinstance(node, MappingNode) and ("Patches" in last or last == "patch"):
            hint = " (write the patch as a string, e.g. a block scalar: `- |`)"
        raise config_error(path, f"expected {expected}, got {_describe(node)}{hint}")
    return str(node.value)


def _decode_int(node: Node, path: FieldPath) -> int:
    if isinstance(node, ScalarNode) and node.tag == INT_TAG:
        try:
            return parse_core_int(node.value)
        except ValueError:
            pass
    hint = " (remove the quotes)" if _quoted_number(node) else ""
    raise config_error(path, f"expected an integer, got {_describe(node)}{hint}")


def _decode_bool(node: Node, path: FieldPath) -> bool:
    if isinstance(node, ScalarNode):
        if node.tag == BOOL_TAG:
            return node.value.lower() == "true"
        if node.style is None:
            value = bool_1_1(node.value)
            if value is not None:
                return value
    raise config_error(path, f"expected a boolean (true or false), got {_describe(node)}")


def _quoted_number(node: Node) -> bool:
    if not (isinstance(node, ScalarNode) and node.style in ("'", '"')):
        return False
    try:
        parse_core_int(node.value)
    except ValueError:
        return False
    return True


def _unknown_field(key: str, model: type[BaseModel], valid: list[str]) -> str:
    """ "unknown field (did you mean ...?)", or where the field belongs if it is elsewhere."""
    for other, where in _ELSEWHERE.get(model.__name__, ()):
        names = [(info.alias or name) for name, info in _model(other).model_fields.items()]
        if key in names and key not in valid:
            return f"unknown field here ({key} belongs {where})"
    return unknown_field_reason(key, valid)


def _model(name: str) -> type[BaseModel]:
    from pykind.config import models

    cls: type[BaseModel] = getattr(models, name)
    return cls


#: Fields people put at the wrong level: model -> (model the field belongs to, where).
_ELSEWHERE: dict[str, tuple[tuple[str, str], ...]] = {
    "ClusterConfig": (
        ("Networking", "under networking"),
        ("Node", "under each entry of nodes"),
    ),
    "Node": (
        ("Networking", "under networking at the top level"),
        ("ClusterConfig", "at the top level"),
        ("PortMapping", "under extraPortMappings"),
        ("Mount", "under extraMounts"),
    ),
    "Networking": (("ClusterConfig", "at the top level"),),
}
