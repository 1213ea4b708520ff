"""Load a ``kind.x-k8s.io/v1alpha4`` cluster config: read, decode strictly, apply the flag
overrides and upstream's defaults, validate.

::

    loaded = load_config("kind.yaml", name=cluster_name_override(flag_name), image=flag_image)
    loaded.config        # ClusterConfig with defaults applied, validated
    loaded.warnings      # e.g. an API server address reachable from other machines

Every problem is a :class:`~pykind.errors.ConfigError` with a one-line reason and, when a field
is at fault, its path in upstream's names (``nodes[1].role``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from pykind.config import decode
from pykind.config.models import API_VERSION, DEFAULT_CLUSTER_NAME, KIND, ClusterConfig
from pykind.config.problems import config_error, from_validation_error
from pykind.config.validators import check_cluster_name
from pykind.errors import ConfigError

#: Environment variable upstream uses as the default of ``--name``.
CLUSTER_NAME_ENV = "KIND_CLUSTER_NAME"
#: ``source`` labels of configs that do not come from a file.
DEFAULTS_SOURCE = "<defaults>"
STDIN_SOURCE = "<stdin>"

ConfigSource = str | os.PathLike[str] | IO[str] | IO[bytes] | None


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with defaults applied, and where it came from."""

    config: ClusterConfig
    #: Folder of the config file (relative ``hostPath`` mounts resolve against it); None for
    #: defaults, stdin and streams.
    config_dir: Path | None
    #: The file path, ``<stdin>``, ``<defaults>`` or a stream's name.
    source: str
    warnings: tuple[str, ...] = ()


def resolve_cluster_name(flag: str | None = None) -> str:
    """The cluster a command acts on: ``--name``, else $KIND_CLUSTER_NAME, else ``kind``.

    For ``create cluster`` use :func:`cluster_name_override` instead: there the config's
    ``name`` comes before the default ``kind``.
    """
    return cluster_name_override(flag) or DEFAULT_CLUSTER_NAME


def cluster_name_override(flag: str | None = None) -> str | None:
    """The name that overrides a config's ``name``: ``--name``, else $KIND_CLUSTER_NAME."""
    if flag:
        return flag
    return os.environ.get(CLUSTER_NAME_ENV) or None


def validate_cluster_name(name: str) -> str:
    """Raise ConfigError (field ``name``) unless ``name`` is a valid cluster name."""
    try:
        return check_cluster_name(name)
    except ValueError as exc:
        raise config_error(("name",), str(exc)) from None


def load_config(
    source: ConfigSource = None,
    *,
    name: str | None = None,
    image: str | None = None,
) -> LoadedConfig:
    """Load the cluster config from ``source``: a file path, ``"-"`` for stdin, an open text
    stream, or None (or ``""``) for upstream's default config.

    ``name`` (``--name``) replaces the config's name; ``image`` (``--image``) replaces every
    node's image.
    """
    if source is None or (isinstance(source, str) and source == ""):
        return prepare_config(None, name=name, image=image, source=DEFAULTS_SOURCE)
    text, label, config_dir = _read(source)
    return parse_config(text, name=name, image=image, source=label, config_dir=config_dir)


def parse_config(
    text: str,
    *,
    name: str | None = None,
    image: str | None = None,
    source: str = "<string>",
    config_dir: Path | None = None,
) -> LoadedConfig:
    """Like :func:`load_config`, from YAML text."""
    root = decode.compose(text)
    data = decode.decode_document(root, ClusterConfig, {"apiVersion": API_VERSION, "kind": KIND})
    if name:
        data["name"] = name  # before validation: a bad name in the file is then irrelevant
    try:
        config = ClusterConfig.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, ClusterConfig) from None
    return prepare_config(config, image=image, source=source, config_dir=config_dir)


def prepare_config(
    config: ClusterConfig | None,
    *,
    name: str | None = None,
    image: str | None = None,
    source: str = "<object>",
    config_dir: Path | None = None,
) -> LoadedConfig:
    """Apply the overrides and defaults to ``config`` (None: the default config) and validate
    it, as upstream does for configs built in code. ``config`` itself is not changed."""
    cfg = config.model_copy(deep=True) if config is not None else ClusterConfig()
    if name:
        cfg.name = name
    cfg = cfg.with_defaults()
    if image:
        for node in cfg.nodes:
            node.image = image
    warnings = cfg.check()
    return LoadedConfig(config=cfg, config_dir=config_dir, source=source, warnings=tuple(warnings))


def _read(source: Any) -> tuple[str, str, Path | None]:
    """(text, source label, config folder) for a path, ``-`` or a stream."""
    if isinstance(source, str) and source == "-":
        return _read_stream(sys.stdin, STDIN_SOURCE), STDIN_SOURCE, None
    if hasattr(source, "read"):
        label = str(getattr(source, "name", "") or "<stream>")
        return _read_stream(source, label), label, None
    path = Path(os.fspath(source))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    return _decode_bytes(raw, str(path)), str(path), path.resolve().parent


def _read_stream(stream: Any, label: str) -> str:
    try:
        content = stream.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config from {label}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config from {label} is not UTF-8 text") from None
    if isinstance(content, bytes):
        return _decode_bytes(content, label)
    return str(content)


def _decode_bytes(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"config {label} is not UTF-8 text") from None
