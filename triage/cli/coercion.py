"""Typer's parameter conversion for the plain cases, without loading pydantic.

Typer >= 0.29 converts every parameter value through a pydantic ``TypeAdapter`` (only a bool
flag is spared), so any command with an argument imports pydantic: about 0.15-0.2 s of CPU,
half of what ``avgdesk deadline 2026-03-05`` cost. For the values whose conversion is plain
— a ``str``, an ``Enum`` member by its exact value, an ``int`` written as digits within its
bounds — :class:`LightConversion` returns what Typer's adapter would return; every other
value (an error, a ``Path``, a custom parser, a list) goes to Typer's own conversion, so
results and error messages stay Typer's. tests/triage/cli/test_coercion.py compares both.

This uses Typer internals (``_TyperParameter._runtime_param``, ``typer._coercion``); on a
Typer without them :func:`lighten` does nothing and only start-up time changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

import typer._coercion as typer_coercion
from typer._param_types import coerce_cli_choice
from typer.core import _TyperParameter

_DIGITS = re.compile(r"[1-9][0-9]*|0")


class _Unhandled:
    """Marks a value this module leaves to Typer's own conversion."""


UNHANDLED = _Unhandled()


def light_value(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """The converted value, or :data:`UNHANDLED` when Typer's own conversion must decide."""
    if info.parser is not None:
        return UNHANDLED
    if annotation is str and isinstance(value, str):
        return value
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = tuple(annotation)
        try:
            return coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError:
            return UNHANDLED  # Typer words the error
    if annotation is int and not info.clamp:
        number = value if type(value) is int else _whole(value)
        if number is not None and _within(number, info.min, info.max):
            return number
    return UNHANDLED


def _within(number: int, low: float | None, high: float | None) -> bool:
    return (low is None or number >= low) and (high is None or number <= high)


def _whole(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and _DIGITS.fullmatch(value) else None


@dataclass(frozen=True)
class LightConversion(typer_coercion.RuntimeParam):
    """A parameter's conversion: :func:`light_value` first, Typer's adapter for the rest."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Any) -> Any:
        converted = light_value(self.annotation, self.parameter_info, value, ctx)
        if converted is not UNHANDLED:
            return converted
        full = typer_coercion.build_runtime_param(param.type_descriptor)
        param._runtime_param = full  # this parameter converts through Typer from now on
        return full._coerce_value(value, param=param, ctx=ctx)


def lighten(params: list[Any]) -> list[Any]:
    """Give each Typer parameter not yet converted the light conversion; returns ``params``.

    Called from ``get_params`` (:class:`~avgdesk.triage.cli.lazy.LazyGroup`,
    :class:`~avgdesk.triage.cli.lazy.LightCommand`): the help option and the completion
    options only exist by then, and even a flag that is not given builds its converter.
    """
    for param in params:
        if isinstance(param, _TyperParameter) and getattr(param, "_runtime_param", False) is None:
            descriptor = param.type_descriptor
            param._runtime_param = LightConversion(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
    return params
