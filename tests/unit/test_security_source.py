"""No shell strings built from user input: a scan of the shipped source, and proof that the one
shell script pykind does build (the envoy load balancer's command, as upstream) quotes what it
embeds.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pykind.config.models import ClusterConfig
from pykind.errors import ConfigError
from pykind.loadbalancer import envoy

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Shipped code: the library, the providers, the plugins.
SHIPPED = [REPO_ROOT / d for d in ("core", "providers", "plugins")]
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env"}
#: Calls that run a command line through a shell.
SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("commands", "getoutput"),
}
#: ``[shell, "-c", script]`` argv lists whose script is not static text, allowed with why:
#: file -> function. (A static script — e.g. the log collector's ``tar`` pipeline, the image
#: store's ``ctr`` loop taking digests as ``"$@"`` arguments — interpolates nothing.)
ALLOWED_SHELL_ARGV = {
    # upstream's envoy container command; embeds only constants and validated names, quoted
    # (see test_envoy_command_quotes_whatever_it_embeds)
    "core/pykind/loadbalancer/envoy.py": "container_command",
}


def shipped_files() -> list[Path]:
    files = []
    for folder in SHIPPED:
        if folder.is_dir():
            files.extend(p for p in folder.rglob("*.py") if ".venv" not in p.parts)
    return sorted(files)


def _dotted(node: ast.AST) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    owner: dict[ast.AST, str] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(fn):
                owner.setdefault(child, fn.name)
    return owner


def _static(node: ast.expr | None, constants: set[str]) -> bool:
    """Text fixed when the module is written: literals, module constants holding such text,
    and f-strings or ``+`` of those. Nothing a user could have put there."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(v, ast.Constant)
            or (isinstance(v, ast.FormattedValue) and _static(v.value, constants))
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _static(node.left, constants) and _static(node.right, constants)
    return False


def _module_constants(tree: ast.Module) -> set[str]:
    """Names bound once, at module level, to static text (see :func:`_static`)."""
    counts: dict[str, int] = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Name) and isinstance(stmt.ctx, ast.Store):
            counts[stmt.id] = counts.get(stmt.id, 0) + 1
    constants: set[str] = set()
    for stmt in tree.body:
        target = value = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        named = isinstance(target, ast.Name) and counts.get(target.id) == 1
        if named and _static(value, constants):
            constants.add(target.id)  # type: ignore[union-attr]
    return constants


def shell_uses(path: Path) -> list[str]:
    """Every place in ``path`` that runs something through a shell."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    owner = _enclosing_functions(tree)
    constants = _module_constants(tree)
    rel = path.relative_to(REPO_ROOT).as_posix()
    found = []
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "shell" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False
                ):
                    found.append(f"{where}: shell= argument")
            name = _dotted(node.func)
            if name[-2:] in SHELL_CALLS or name in {("system",), ("popen",)}:
                found.append(f"{where}: {'.'.join(name)}()")
        if isinstance(node, ast.List | ast.Tuple) and len(node.elts) >= 2:
            first, second = node.elts[0], node.elts[1]
            shell_argv = (
                isinstance(first, ast.Constant)
                and first.value in SHELLS
                and isinstance(second, ast.Constant)
                and second.value == "-c"
            )
            script = node.elts[2] if len(node.elts) > 2 else None
            if (
                shell_argv
                and not _static(script, constants)
                and ALLOWED_SHELL_ARGV.get(rel) != owner.get(node)
            ):
                found.append(f"{where}: ['sh', '-c', <built script>] argv")
    return found


def test_the_scan_covers_the_code_base() -> None:
    files = shipped_files()
    names = {p.relative_to(REPO_ROOT).as_posix() for p in files}
    assert "core/pykind/cluster/create.py" in names
    assert "providers/pykind_docker/provider.py" in names
    assert len(files) > 50


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = REPO_ROOT / "core" / "pykind" / "_scan_sample.py"
    sample.write_text(
        "import os, subprocess\n"
        "def f(name):\n"
        "    subprocess.run(f'echo {name}', shell=True)\n"
        "    os.system('ls ' + name)\n"
        "    ['sh', '-c', 'echo constant']\n"
        "    return ['sh', '-c', f'echo {name}']\n"
    )
    try:
        found = shell_uses(sample)
    finally:
        sample.unlink()
    assert len(found) == 3, found


def test_no_shell_strings_in_shipped_code() -> None:
    problems = [p for path in shipped_files() for p in shell_uses(path)]
    assert problems == []


def test_the_allowed_shell_script_still_exists() -> None:
    """The allow-list must not outlive the code it excuses."""
    for rel, function in ALLOWED_SHELL_ARGV.items():
        tree = ast.parse((REPO_ROOT / rel).read_text(encoding="utf-8"))
        assert function in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


# ---------------------------------------------------------------- the envoy script
HOSTILE = st.text(
    alphabet=st.sampled_from([*"abc-.'\"$`\\;&|(){}<>*? \n\t!#~%", "é", "☃"]),
    min_size=1,
    max_size=24,
)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@settings(max_examples=40, deadline=None)
@given(cluster=HOSTILE, node=HOSTILE)
def test_envoy_command_quotes_whatever_it_embeds(cluster: str, node: str) -> None:
    """Even with names validation would reject, bash writes exactly the rendered bootstrap and
    runs nothing else (the config folder is redirected to a temporary one, envoy faked)."""
    work = Path(tempfile.mkdtemp(prefix="pykind-envoy-"))
    (work / "bin").mkdir()
    (work / "bin" / "envoy").write_text("#!/bin/sh\nexit 0\n")
    (work / "bin" / "envoy").chmod(0o755)
    argv = envoy.container_command(cluster, node)
    assert argv[:2] == ["bash", "-c"]
    script = argv[2].replace(envoy.CONFIG_DIR, str(work / "cfg"))
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env={"PATH": f"{work / 'bin'}:/usr/bin:/bin"},
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    expected = envoy.bootstrap_config(cluster, node).replace(envoy.CONFIG_DIR, str(work / "cfg"))
    assert (work / "cfg" / "envoy.yaml").read_text() == expected
    assert sorted(p.name for p in work.iterdir()) == ["bin", "cfg"]  # nothing else created
    shutil.rmtree(work, ignore_errors=True)


@given(name=HOSTILE)
@settings(max_examples=100, deadline=None)
def test_cluster_names_with_shell_characters_are_rejected(name: str) -> None:
    """What reaches the envoy script, container names and hostnames is a validated name."""
    try:
        cfg = ClusterConfig.model_validate({"name": name}).with_defaults()
        cfg.check()
    except (ConfigError, ValueError):
        return
    assert set(cfg.name) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")
