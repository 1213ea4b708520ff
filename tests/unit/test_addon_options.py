"""Add-on choices: ``--addon`` parsing, the add-ons file, option validation errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

import pykind
from pykind.addons import (
    AddonOptionsError,
    load_addons_file,
    merge_selections,
    parse_addon_arg,
    parse_addon_args,
    parse_addons_file,
    resolve_selection,
    validate_options,
)
from pykind.errors import AddonError, ConfigError
from pykind.plugin.manager import PykindPluginManager, create_plugin_manager
from pykind.plugin.types import AddonSpec


class EchoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(80, ge=1, le=65535)
    verbose: bool = False
    text: str = "hi"


def _noop(ctx: object, options: object) -> None:
    return None


class EchoPlugin:
    @pykind.hookimpl
    def pykind_addons(self) -> Iterator[AddonSpec]:
        yield AddonSpec(name="Echo", install=_noop, options_model=EchoOptions)
        yield AddonSpec(name="plain", install=_noop)


@pytest.fixture
def pm() -> PykindPluginManager:
    return create_plugin_manager(autoload=False, extra=[EchoPlugin()])


# ---------------------------------------------------------------- --addon NAME[:k=v,...]
def test_parse_name_only() -> None:
    assert parse_addon_arg("ingress-nginx") == ("ingress-nginx", {})


def test_parse_options_normalises_name_and_keys() -> None:
    name, options = parse_addon_arg(" Ingress-NGINX:http-port=8080, listen_address = 127.0.0.1")
    assert name == "ingress-nginx"
    assert options == {"http_port": "8080", "listen_address": "127.0.0.1"}


def test_parse_value_may_contain_equals() -> None:
    assert parse_addon_arg("x:text=a=b") == ("x", {"text": "a=b"})


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x:", "expected key=value after ':'"),
        ("x:port", "expected key=value, got 'port'"),
        ("x:port=1,", "expected key=value, got ''"),
        ("x:=1", "expected key=value"),
        ("x:port=1,port=2", "option 'port': given twice"),
        (":port=1", "invalid add-on name"),
        ("bad name", "invalid add-on name"),
    ],
)
def test_parse_errors_are_one_line_config_errors(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_addon_arg(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_repeated_flags_merge_in_first_seen_order() -> None:
    selection = parse_addon_args(["b:x=1", "a", "b:y=2", "b:x=3"])
    assert list(selection) == ["b", "a"]
    assert selection["b"] == {"x": "3", "y": "2"}


def test_merge_selections_later_overrides_single_options() -> None:
    from_file = {"echo": {"port": 81, "text": "file"}, "plain": {}}
    from_flags = {"Echo": {"port": "82"}}
    assert merge_selections(from_file, from_flags) == {
        "echo": {"port": "82", "text": "file"},
        "plain": {},
    }


# ---------------------------------------------------------------- validation
def test_validate_converts_strings(pm: PykindPluginManager) -> None:
    options = validate_options(pm, "echo", {"port": "8080", "verbose": "true"})
    assert isinstance(options, EchoOptions)
    assert (options.port, options.verbose, options.text) == (8080, True, "hi")


def test_bad_value_names_addon_and_option(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonOptionsError) as info:
        validate_options(pm, "echo", {"port": "eighty"})
    err = info.value
    assert isinstance(err, ConfigError) and isinstance(err, AddonError)
    assert (err.addon, err.option, err.field) == ("echo", "port", "addons.echo.port")
    message = str(err)
    assert message.startswith("add-on 'echo': option 'port': ")
    assert "'eighty'" in message and "\n" not in message


def test_out_of_range_value(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonOptionsError, match="option 'port': Input should be less than"):
        validate_options(pm, "echo", {"port": 70000})


def test_unknown_option_lists_valid_ones(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonOptionsError) as info:
        validate_options(pm, "echo", {"prot": "1"})
    assert str(info.value) == (
        "add-on 'echo': option 'prot': unknown option; valid options: port, text, verbose"
    )


def test_several_problems_are_counted(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonOptionsError, match=r"\(and 1 more problem\(s\)\)"):
        validate_options(pm, "echo", {"port": "x", "verbose": "maybe"})


def test_addon_without_options_rejects_any(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonOptionsError, match="option 'x': unknown option; valid options: none"):
        validate_options(pm, "plain", {"x": "1"})


def test_unknown_addon_lists_installed(pm: PykindPluginManager) -> None:
    with pytest.raises(AddonOptionsError) as info:
        validate_options(pm, "nope", {})
    assert str(info.value) == "add-on 'nope': unknown add-on; available add-ons: echo, plain"


def test_resolve_selection_keeps_order_and_models(pm: PykindPluginManager) -> None:
    model = EchoOptions(port=9)
    resolved = resolve_selection(pm, {"plain": {}, "ECHO": model})
    assert list(resolved) == ["plain", "echo"]
    assert resolved["echo"] is model


# ---------------------------------------------------------------- add-ons file
def test_addons_file(tmp_path: Path) -> None:
    path = tmp_path / "addons.yaml"
    path.write_text(
        "addons:\n- name: registry\n- name: Ingress-Nginx\n  options:\n    http_port: 8080\n"
    )
    assert load_addons_file(path) == {"registry": {}, "ingress-nginx": {"http_port": 8080}}


def test_empty_addons_file() -> None:
    assert parse_addons_file("") == {}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("addons: [{name: a, opts: {}}]", "f: addons[0].opts: unknown field"),
        ("addons: [{options: {}}]", "f: addons[0].name: Field required"),
        ("addon: []", "f: addon: unknown field"),
        ("- a", "f: expected a mapping with an 'addons' list"),
        ("addons: [{name: a}, {name: A}]", "f: addons[1]: add-on 'a' is listed twice"),
        ("addons: [\n", "f: invalid YAML (line"),
        ("addons: [{name: a, options: [1]}]", "f: addons[0].options: "),
    ],
)
def test_addons_file_errors(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_addons_file(text, source="f")
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_addons_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read add-ons file"):
        load_addons_file(tmp_path / "absent.yaml")
