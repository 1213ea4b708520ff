"""The ``kind_cluster`` pytest plugin, driven through pytester against the fake provider."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

#: A conftest that runs the plugin on the in-memory provider and, at the end of the session,
#: writes what happened to ``outcome.json`` (clusters left, nodes deleted, images loaded).
FAKE_CONFTEST = """
import json
import pytest
from pykind import ClusterManager
from pykind.plugin.manager import create_plugin_manager
from pykind.testing.fakes import FakeProvider
from pykind.testing.fixtures import FakeProviderPlugin

PROVIDER = FakeProvider()
LOADED = []
PREEXISTING = {preexisting!r}


class Manager(ClusterManager):
    def load_images(self, images, *, name="kind", nodes=None):
        LOADED.append([name, list(images)])
        return len(LOADED)


def make_manager():
    pm = create_plugin_manager(autoload=False, extra=[FakeProviderPlugin(PROVIDER)])
    return Manager(PROVIDER, plugin_manager=pm)


for name in PREEXISTING:
    make_manager().create(name, kubeconfig="pre.kubeconfig")
CREATED_BEFORE = len(PROVIDER.plans)


@pytest.fixture(scope="session")
def kind_manager():
    return make_manager()


def pytest_sessionfinish(session):
    with open("outcome.json", "w") as fh:
        json.dump(
            {{
                "clusters": PROVIDER.list_clusters(),
                "deleted": PROVIDER.deleted,
                "created": list(PROVIDER.plans),
                "images": {{
                    c: sorted({{s.image for s in p.nodes}}) for c, p in PROVIDER.plans.items()
                }},
                "loaded": LOADED,
                "created_here": len(PROVIDER.plans) - CREATED_BEFORE,
            }},
            fh,
        )
"""


def setup(pytester: pytest.Pytester, *, preexisting: tuple[str, ...] = ()) -> None:
    pytester.makeconftest(FAKE_CONFTEST.format(preexisting=list(preexisting)))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in this process (the conftest state is fresh on every run)."""
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def outcome(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "outcome.json").read_text())


def test_clusters_are_shared_per_marker_and_deleted_at_the_end(pytester: pytest.Pytester) -> None:
    setup(pytester)
    pytester.makepyfile(
        """
        import pytest

        seen = {}

        def test_default(kind_cluster):
            assert kind_cluster.name.startswith("pytest-")
            assert kind_cluster.kubeconfig_path.exists()
            assert kind_cluster.context == f"kind-{kind_cluster.name}"
            assert [n.name for n in kind_cluster.nodes()] == [f"{kind_cluster.name}-control-plane"]
            result = kind_cluster.kubectl("get", "nodes", "-o=jsonpath={.items..status}")
            assert result.argv[:2] == ("kubectl", "--kubeconfig=/etc/kubernetes/admin.conf")
            assert result.text == "'True'"
            assert kind_cluster.load_image("my/app:1") == 1
            seen["default"] = kind_cluster.name

        def test_same_cluster_again(kind_cluster):
            assert kind_cluster.name == seen["default"]

        @pytest.mark.kind_cluster(
            config={"nodes": [{"role": "control-plane"}, {"role": "worker"}]}
        )
        def test_two_nodes(kind_cluster):
            assert kind_cluster.name != seen["default"]
            assert len(kind_cluster.nodes()) == 2

        @pytest.mark.kind_cluster(name="named", image="local/other:2")
        def test_named(kind_cluster):
            assert kind_cluster.name == "named"
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=4)
    done = outcome(pytester)
    assert done["clusters"] == []
    assert len(done["created"]) == 3
    assert done["images"]["named"] == ["local/other:2"]
    assert done["loaded"][0][1] == ["my/app:1"]
    assert "kind clusters kept" not in result.stdout.str()


def test_keep_leaves_clusters_and_reports_them(pytester: pytest.Pytester) -> None:
    setup(pytester)
    pytester.makepyfile("def test_it(kind_cluster):\n    assert kind_cluster.name\n")
    result = run(pytester, "--kind-keep")
    result.assert_outcomes(passed=1)
    assert len(outcome(pytester)["clusters"]) == 1
    result.stdout.fnmatch_lines(["*kind clusters kept*", "pytest-* (kubeconfig: *)"])


def test_reuse_takes_an_existing_cluster_and_keeps_it(pytester: pytest.Pytester) -> None:
    setup(pytester, preexisting=("pytest-kind",))
    pytester.makepyfile(
        """
        def test_it(kind_cluster):
            assert kind_cluster.name == "pytest-kind"
            assert not kind_cluster.created
            assert "kind-pytest-kind" in kind_cluster.kubeconfig_path.read_text()
        """
    )
    pytester.makeini("[pytest]\nkind_reuse_cluster = true\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    done = outcome(pytester)
    assert done["clusters"] == ["pytest-kind"] and done["created_here"] == 0


def test_an_existing_cluster_is_not_taken_without_reuse(pytester: pytest.Pytester) -> None:
    setup(pytester, preexisting=("taken",))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kind_cluster(name="taken")
        def test_it(kind_cluster):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*a kind cluster named 'taken' already exists*--kind-reuse*"])
    assert outcome(pytester)["clusters"] == ["taken"]


def test_image_from_ini_and_command_line(pytester: pytest.Pytester) -> None:
    setup(pytester)
    pytester.makeini("[pytest]\nkind_image = ini/node:1\n")
    pytester.makepyfile("def test_it(kind_cluster):\n    pass\n")
    run(pytester).assert_outcomes(passed=1)
    assert list(outcome(pytester)["images"].values()) == [["ini/node:1"]]
    run(pytester, "--kind-image", "cli/node:2").assert_outcomes(passed=1)
    assert list(outcome(pytester)["images"].values()) == [["cli/node:2"]]


def test_config_file_from_ini_relative_to_it(pytester: pytest.Pytester) -> None:
    setup(pytester)
    (pytester.path / "kind.yaml").write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
        "- role: control-plane\n- role: worker\n- role: worker\n"
    )
    pytester.makeini("[pytest]\nkind_config = kind.yaml\n")
    pytester.makepyfile("def test_it(kind_cluster):\n    assert len(kind_cluster.nodes()) == 3\n")
    run(pytester).assert_outcomes(passed=1)


def test_module_scope_deletes_after_each_module(pytester: pytest.Pytester) -> None:
    setup(pytester)
    pytester.makeini("[pytest]\nkind_cluster_scope = module\n")
    body = "def test_it(kind_cluster):\n    assert kind_cluster.name\n"
    pytester.makepyfile(test_one=body, test_two=body)
    run(pytester).assert_outcomes(passed=2)
    done = outcome(pytester)
    assert len(done["created"]) == 2 and done["clusters"] == []


def test_misuse_is_reported(pytester: pytest.Pytester) -> None:
    setup(pytester)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kind_cluster(nodes=3)
        def test_bad_marker(kind_cluster):
            pass

        @pytest.mark.kind_cluster(name="x")
        def test_first(kind_cluster):
            pass

        @pytest.mark.kind_cluster(name="x", image="other:1")
        def test_conflict(kind_cluster):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*takes only config=, image=, addons=, name= (got nodes)*",
            "*'x' is requested with different settings by two tests*",
        ]
    )


def test_bad_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    setup(pytester)
    pytester.makeini("[pytest]\nkind_cluster_scope = forever\n")
    pytester.makepyfile("def test_it(kind_cluster):\n    pass\n")
    result = run(pytester)
    assert result.ret != 0
    assert "kind_cluster_scope must be one of" in result.stdout.str() + result.stderr.str()


def test_the_plugin_is_inert_until_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        HEAVY = (
            "pykind.cluster", "pykind.runtime", "pykind.plugin", "docker", "podman", "pydantic"
        )

        def test_nothing_heavy_is_imported():
            loaded = [m for m in sys.modules if m.startswith(HEAVY)]
            assert "pykind.pytest_plugin" in sys.modules
            assert loaded == []
        """
    )
    pytester.runpytest_subprocess("-p", "no:hypothesispytest").assert_outcomes(passed=1)


def test_options_are_registered(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(
        [
            "*--kind-image=KIND_IMAGE*",
            "*--kind-provider=KIND_PROVIDER*",
            "*--kind-keep*",
            "*--kind-reuse*",
            "*kind_config*",
            "*kind_keep_cluster*",
            "*kind_reuse_cluster*",
        ]
    )
    markers = run(pytester, "--markers")
    markers.stdout.fnmatch_lines(["*@pytest.mark.kind_cluster(config=None, image=None*"])


def test_host_kubectl_uses_the_clusters_kubeconfig(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "host kubectl $*"\n')
    fake.chmod(0o755)
    setup(pytester)
    pytester.makepyfile(
        """
        def test_it(kind_cluster):
            out = kind_cluster.kubectl("get", "pods", where="host").text
            assert f"--kubeconfig={kind_cluster.kubeconfig_path}" in out
            assert f"--context=kind-{kind_cluster.name} get pods" in out
            assert kind_cluster.kubectl("version", where="auto").text.startswith("host kubectl")
        """
    )
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    run(pytester).assert_outcomes(passed=1)
