"""The light parameter conversion gives what Typer's own gives, for good and bad values."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import pytest
import typer
from typer.core import TyperCommand
from typer.testing import CliRunner

from avgdesk.triage.cli.coercion import UNHANDLED, LightConversion, light_value
from avgdesk.triage.cli.lazy import LightCommand


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


def _app(cls: type[TyperCommand]) -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None)

    @app.command(cls=cls)
    def show(
        text: str,
        colour: Annotated[Colour, typer.Option()] = Colour.RED,
        loose: Annotated[Colour | None, typer.Option(case_sensitive=False)] = None,
        months: Annotated[int, typer.Option(min=1, max=2)] = 2,
        count: Annotated[int | None, typer.Option()] = None,
        flag: Annotated[bool, typer.Option("--flag")] = False,
    ) -> None:
        typer.echo(repr((text, colour, loose, months, count, flag)))

    return app


ARGS = [
    ["hello"],
    ["hello wereld", "--colour", "green", "--months", "1", "--count", "0", "--flag"],
    ["x", "--colour", "GREEN"],  # case-sensitive: refused
    ["x", "--colour", "blue"],
    ["x", "--loose", "GrEeN"],
    ["x", "--loose", "blue"],
    ["x", "--months", "3"],
    ["x", "--months", "0"],
    ["x", "--months", "01"],
    ["x", "--months", "+1"],
    ["x", "--months", " 1"],
    ["x", "--months", "1.0"],
    ["x", "--months", "one"],
    ["x", "--count", "-5"],
    ["x", "--count", "123456789012345678901234567890"],
    ["x", "--count", "1_000"],
    [],
    ["--help"],
]


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) or "-" for a in ARGS])
def test_same_result_and_message_as_typer(args: list[str]) -> None:
    typer_result = CliRunner().invoke(_app(TyperCommand), args)
    light_result = CliRunner().invoke(_app(LightCommand), args)
    assert (light_result.exit_code, light_result.output) == (typer_result.exit_code, typer_result.output)


def test_plain_values_convert_without_typer_adapter() -> None:
    """What makes ``avgdesk deadline`` start without pydantic: a str, an Enum value and an
    int in range are converted here; anything unusual is left to Typer."""
    info = typer.models.OptionInfo(min=1, max=2)
    plain = typer.models.OptionInfo()
    assert light_value(str, plain, "2026-03-05", None) == "2026-03-05"
    assert light_value(Colour, plain, "green", None) is Colour.GREEN
    assert light_value(Colour, plain, Colour.RED, None) is Colour.RED
    assert light_value(int, info, "2", None) == 2
    assert light_value(int, info, 2, None) == 2
    unhandled: list[tuple[Any, Any, Any]] = [
        (Colour, plain, "blue"),
        (int, info, "3"),
        (int, info, "+1"),
        (int, plain, True),
        (bool, plain, "yes"),
        (str, typer.models.OptionInfo(parser=str.upper), "x"),
    ]
    for annotation, parameter_info, value in unhandled:
        assert light_value(annotation, parameter_info, value, None) is UNHANDLED


def test_a_command_converts_through_light_conversion() -> None:
    command = typer.main.get_command(_app(LightCommand))
    ctx = command.make_context("show", ["hello", "--months", "1"])
    kinds = {p.name: type(p._runtime_param).__name__ for p in command.get_params(ctx)}  # type: ignore[attr-defined]
    assert kinds["text"] == kinds["months"] == kinds["colour"] == LightConversion.__name__
