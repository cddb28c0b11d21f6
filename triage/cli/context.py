"""What commands read from the Typer context: the settings, loaded once, when first needed.

``avgdesk deadline`` is the exception: it needs two settings and must start in well under a
second, so it reads them through :func:`read_deadline_settings` instead of building
:class:`~avgdesk.triage.settings.Settings` (pydantic-settings alone costs about 0.3 s of CPU).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from avgdesk.models.errors import ConfigurationError

if TYPE_CHECKING:
    from avgdesk.triage.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings, loaded on first use from the root's ``--config`` and the environment
    (and kept on the root context); a context that already carries them (a plugin's
    command, a test's app) gives its own."""
    from avgdesk.triage.settings import Settings

    root = ctx.find_root()
    settings = ctx.obj if ctx.obj is not None else root.obj
    if settings is None:
        settings = root.obj = load_root_settings(root.params.get("config"))
    assert isinstance(settings, Settings)
    return settings


def load_root_settings(config_file: Path | None) -> Settings:
    """Settings from the root's ``--config`` file and the environment; logging configured.
    A bad value raises ConfigurationError (``avgdesk`` prints it and exits 2)."""
    from avgdesk.triage import logconfig
    from avgdesk.triage.settings import load_settings

    settings = load_settings(config_file)
    logconfig.configure(settings.log_level)
    return settings


@dataclass(frozen=True)
class DeadlineSettings:
    """The settings of ``avgdesk deadline``: the same fields, types and meaning as in Settings."""

    timezone: str = "Europe/Amsterdam"
    policy_days: int = 30

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9][0-9_]*(\.0*)?")


def read_deadline_settings(config_file: Path | None) -> DeadlineSettings:
    """``timezone`` and ``policy_days`` as Settings would read them, without pydantic.

    Same sources and precedence (``AVGDESK_TIMEZONE``/``AVGDESK_POLICY_DAYS``, any case, over
    the ``--config`` TOML file over the defaults of :class:`DeadlineSettings`), same checks
    (a known time zone; a whole number), and the same :class:`ConfigurationError` texts for a
    missing or broken file. Other settings are not read: a bad value elsewhere is reported by
    the commands that use it. tests/triage/cli/test_context.py keeps this equal to Settings.
    """
    defaults = DeadlineSettings()
    raw: dict[str, Any] = {"timezone": defaults.timezone, "policy_days": defaults.policy_days}
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigurationError(f"config file not found: {config_file}")
        try:
            with config_file.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"config file {config_file} is not valid TOML: {exc}") from exc
        raw.update({name: data[name] for name in raw if name in data})
    # pydantic-settings matches AVGDESK_* names case-insensitively (case_sensitive=False).
    environment = {key.lower(): value for key, value in os.environ.items()}
    raw.update({name: environment[f"avgdesk_{name}"] for name in raw if f"avgdesk_{name}" in environment})
    return DeadlineSettings(_timezone(raw["timezone"]), _whole_number(raw["policy_days"]))


def _timezone(value: Any) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"invalid settings: timezone: unknown time zone {value!r}") from exc
    return value


def _whole_number(value: Any) -> int:
    """pydantic's lax int: an int, a float without fraction, or such a number as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip().partition(".")[0])
    raise ConfigurationError(f"invalid settings: policy_days: not a whole number: {value!r}")
