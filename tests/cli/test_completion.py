"""``kind completion``: click's scripts, and completion actually answering."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pykind.cli.app import build_cli
from tests.cli.fakes import Kind


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef kind"),
        ("fish", "complete --no-files --command kind"),
    ],
)
def test_completion_scripts(kind: Kind, shell: str, marker: str) -> None:
    result = kind("completion", shell)
    assert result.exit_code == 0
    assert marker in result.stdout
    assert "_KIND_COMPLETE" in result.stdout


def test_completion_powershell_supported_or_clear_error(kind: Kind) -> None:
    from click.shell_completion import get_completion_class

    result = kind("completion", "powershell")
    if get_completion_class("powershell") is None:
        assert result.exit_code == 1
        assert result.stderr == (
            "ERROR: powershell completion is not supported by this version of click; "
            "supported shells: bash, zsh, fish\n"
        )
    else:
        assert result.exit_code == 0
        assert "Register-ArgumentCompleter" in result.stdout


def test_completion_script_follows_program_name() -> None:
    result = CliRunner().invoke(build_cli(), ["completion", "bash"], prog_name="pykind")
    assert "_PYKIND_COMPLETE" in result.stdout


def test_unknown_shell(kind: Kind) -> None:
    result = kind("completion", "tcsh")
    assert result.exit_code == 1
    assert result.stderr == 'ERROR: unknown command "tcsh" for "kind completion"\n'


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("kind cre", 1, "plain,create"),
        ("kind create cluster --ret", 3, "plain,--retain"),
        ("kind get ", 2, "plain,nodes"),
    ],
)
def test_completion_answers(words: str, cword: int, expected: str) -> None:
    env = {"_KIND_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = CliRunner().invoke(build_cli(), [], env=env, prog_name="kind")
    assert result.exit_code == 0
    assert expected in result.stdout.splitlines()
