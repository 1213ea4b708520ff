"""Fuzzing kubeconfig merges: whatever the existing file holds, a merge either works and keeps
everything else, or is one ConfigError that leaves the file untouched. Never a traceback."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykind.config.yamlcore import CoreSafeLoader
from pykind.errors import ConfigError
from pykind.kubeconfig import build_entries, remove_cluster, write_cluster
from pykind.kubeconfig.model import merge_entries, remove_entries

FUZZ = settings(
    max_examples=150,  # each example writes (and fsyncs) real files
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ADMIN_CONF = """\
apiVersion: v1
clusters:
- cluster: {certificate-authority-data: Q0EK, server: "https://dev-control-plane:6443"}
  name: kubernetes
contexts:
- context: {cluster: kubernetes, user: kubernetes-admin}
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user: {client-certificate-data: Q0VSVAo=, client-key-data: S0VZCg==}
"""
ENTRIES = build_entries(ADMIN_CONF, "dev", endpoint="127.0.0.1:40001")

KEYS = [
    "clusters",
    "users",
    "contexts",
    "current-context",
    "name",
    "cluster",
    "user",
    "context",
    "server",
    "apiVersion",
    "kind",
    "preferences",
    "extensions",
    "kind-dev",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)  # NaN != NaN would fail the equality checks
    | st.text(max_size=15)
    | st.sampled_from(["kind-dev", "kind-other", "yes", "0777", "2001-12-14", "~", "<<"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
entry = st.fixed_dictionaries(
    {"name": st.sampled_from(["kind-dev", "kind-other", "prod"]) | st.text(max_size=5)},
    optional={"cluster": values, "user": values, "context": values, "extra": values},
)
kubeconfigish = st.fixed_dictionaries(
    {},
    optional={
        "clusters": st.lists(entry, max_size=4) | values,
        "users": st.lists(entry, max_size=4) | values,
        "contexts": st.lists(entry, max_size=4) | values,
        "current-context": st.sampled_from(["kind-dev", "prod", ""]) | values,
        "apiVersion": st.just("v1"),
        "preferences": values,
        "other": values,
    },
)


def parse(text: str) -> Any:
    return yaml.load(text, Loader=CoreSafeLoader)


def check_merge(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config"
        raw = text.encode("utf-8", "surrogatepass")
        path.write_bytes(raw)
        try:
            write_cluster(path, ENTRIES, lock_timeout=0)
        except ConfigError as exc:
            message = str(exc)
            assert message.strip() and "\n" not in message
            assert str(path) in message
            assert path.read_bytes() == raw, "a file that failed to merge was changed"
            return
        merged = parse(path.read_text())
        before = parse(text) or {}
        assert merged["current-context"] == "kind-dev"
        for key, item in (
            ("clusters", ENTRIES.cluster),
            ("users", ENTRIES.user),
            ("contexts", ENTRIES.context),
        ):
            named = [i for i in merged[key] if i.get("name") == "kind-dev"]
            assert named and all(i == item for i in named)
            others = [i for i in before.get(key) or [] if i.get("name") != "kind-dev"]
            assert [i for i in merged[key] if i.get("name") != "kind-dev"] == others
        for key, value in before.items():
            if key not in ("clusters", "users", "contexts", "current-context"):
                assert merged[key] == value
        # and the cluster can be removed again
        assert remove_cluster(path, "dev", lock_timeout=0) is True
        assert "kind-dev" not in [i.get("name") for i in parse(path.read_text()).get("users")]
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["config"]


@FUZZ
@given(kubeconfigish)
def test_merge_into_kubeconfig_like_documents(doc: dict[str, Any]) -> None:
    check_merge(yaml.safe_dump(doc, allow_unicode=True))


@FUZZ
@given(values)
def test_merge_into_arbitrary_yaml(doc: Any) -> None:
    check_merge(yaml.safe_dump(doc, allow_unicode=True))


@FUZZ
@given(st.text(max_size=150))
def test_merge_into_arbitrary_text(text: str) -> None:
    check_merge(text)


@FUZZ
@given(kubeconfigish.filter(lambda d: isinstance(d.get("clusters", []), list)))
def test_pure_merge_then_remove(doc: dict[str, Any]) -> None:
    """On valid shapes the pure functions never fail and never touch their input."""
    for key in ("users", "contexts"):
        if not isinstance(doc.get(key, []), list):
            doc[key] = []
    if not isinstance(doc.get("current-context", ""), str):
        doc["current-context"] = ""
    original = copy.deepcopy(doc)
    merged = merge_entries(doc, ENTRIES, set_current=False)
    assert doc == original
    removed, changed = remove_entries(merged, "kind-dev")
    assert changed
    assert merged != removed
