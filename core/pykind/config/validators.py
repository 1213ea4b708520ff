"""Checks of single config values, shared by the models and the cluster-wide validation.

Every ``check_*`` function returns the normalised value or raises :class:`ValueError` with a
one-line reason (no field name: the caller knows where the value came from).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence

import yaml

#: Upstream's cluster name rule (``validNameRE``), plus: the name must start with a letter or
#: digit so that node container names and hostnames are valid.
CLUSTER_NAME_PATTERN = "^[a-z0-9.-]+$"
_CLUSTER_NAME_RE = re.compile(r"[a-z0-9][a-z0-9.-]*")
#: Longest valid hostname label; node hostnames are ``<cluster>-<role><n>``.
MAX_HOSTNAME_LENGTH = 63
_HOSTNAME_LABEL_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")

_LABEL_NAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_CIDR_PREFIX_RE = re.compile(r"[0-9]{1,3}")


def show(value: object, limit: int = 60) -> str:
    """A value quoted for a one-line message (newlines escaped, long values shortened)."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def one_line(message: str) -> str:
    """Collapse all whitespace runs (including newlines) to single spaces."""
    return " ".join(str(message).split())


# -- cluster name -------------------------------------------------------------------------------


def check_cluster_name(name: str) -> str:
    """Upstream's name rule: lowercase letters, digits, ``.`` and ``-``."""
    if not _CLUSTER_NAME_RE.fullmatch(name):
        raise ValueError(
            f"{show(name)} is not a valid cluster name: cluster names must match "
            f"{CLUSTER_NAME_PATTERN} and start with a letter or digit"
        )
    return name


def check_hostname(hostname: str, cluster: str) -> None:
    """A node hostname derived from the cluster name must be a valid hostname."""
    if len(hostname) > MAX_HOSTNAME_LENGTH:
        raise ValueError(
            f"cluster name {show(cluster)} is too long: node hostname {show(hostname, 90)} has "
            f"{len(hostname)} characters (at most {MAX_HOSTNAME_LENGTH})"
        )
    for label in hostname.split("."):
        if not _HOSTNAME_LABEL_RE.fullmatch(label):
            raise ValueError(
                f"{show(cluster)} is not a valid cluster name: node hostname {show(hostname)} "
                "would be invalid (each dot-separated part must start and end with a letter "
                "or digit)"
            )


# -- networking -------------------------------------------------------------------------------


def check_port(port: int, *, minimum: int = -1) -> int:
    """A TCP/UDP port. Upstream: 0 means "kind picks a free port", -1 "the engine picks"."""
    if port < minimum or port > 65535:
        raise ValueError(f"invalid port number {port} (must be {minimum}-65535)")
    return port


def check_container_port(port: int) -> int:
    return check_port(port, minimum=1)


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{show(value)} is not an IP address") from None


def check_ip(value: str) -> str:
    """An IPv4 or IPv6 address (empty means: use the default)."""
    if value:
        parse_ip(value)
    return value


def parse_cidrs(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of CIDRs, parsed like Go's ``net.ParseCIDR`` (host bits allowed,
    prefix length required)."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for part in value.split(","):
        address, slash, prefix = part.partition("/")
        if not slash or not _CIDR_PREFIX_RE.fullmatch(prefix):
            raise ValueError(f"{show(part)} is not a CIDR (expected address/prefix-length)")
        try:
            networks.append(ipaddress.ip_network(f"{address}/{int(prefix)}", strict=False))
        except ValueError:
            raise ValueError(f"{show(part)} is not a valid CIDR") from None
    return networks


def check_cidrs(value: str) -> str:
    if value:
        parse_cidrs(value)
    return value


def is_wildcard(address: str) -> bool:
    return address in ("", "0.0.0.0", "::") or parse_ip(address).is_unspecified


# -- labels -------------------------------------------------------------------------------------


def check_label_key(key: str) -> str:
    """A Kubernetes label key: ``[prefix/]name``."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.fullmatch(prefix)):
        raise ValueError(
            f"invalid label key {show(key)}: the prefix must be a DNS subdomain "
            "(lowercase letters, digits, '-' and '.')"
        )
    if not name or len(name) > 63 or not _LABEL_NAME_RE.fullmatch(name):
        raise ValueError(
            f"invalid label key {show(key)}: the name must be 1-63 characters of letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit"
        )
    return key


def check_label_value(value: str) -> str:
    """A Kubernetes label value: empty, or up to 63 characters like a label name."""
    if value and (len(value) > 63 or not _LABEL_NAME_RE.fullmatch(value)):
        raise ValueError(
            f"invalid label value {show(value)}: must be at most 63 characters of letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit"
        )
    return value


# -- images and paths ---------------------------------------------------------------------------


def check_image(image: str) -> str:
    """An image reference (empty means the default image)."""
    if any(ch.isspace() for ch in image) or not image.isprintable():
        raise ValueError(f"{show(image)} is not a valid image reference")
    return image


def check_container_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"{show(path)} must be an absolute path inside the node")
    return path


def check_host_path(path: str) -> str:
    if not path:
        raise ValueError("must not be empty")
    return path


# -- messages ---------------------------------------------------------------------------------


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """PyYAML's error as one line: what went wrong and where."""
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or exc.context or "syntax error"
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return one_line(f"{problem}{where}")
    return one_line(str(exc)) or "syntax error"


def kind_of(value: object) -> str:
    """A YAML-ish name for the type of a parsed value."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


def closest(name: str, candidates: Sequence[str]) -> str | None:
    """The candidate the user most likely meant by ``name`` (case and ``_``/``-`` ignored first,
    then by similarity), or None."""
    import difflib

    def norm(s: str) -> str:
        return s.lower().replace("_", "").replace("-", "")

    for candidate in candidates:
        if norm(candidate) == norm(name):
            return candidate
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if matches:
        return matches[0]
    lowered = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None
