"""``avgdesk deadline``: the legal deadline for one receipt time, explained."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from avgdesk.triage.cli.context import read_deadline_settings


class Language(StrEnum):
    NL = "nl"
    EN = "en"


def deadline(
    ctx: typer.Context,
    received_at: Annotated[str, typer.Argument(help="Receipt time, ISO 8601 (no offset = Amsterdam time).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lang: Annotated[Language, typer.Option(help="Language of the explanation.")] = Language.NL,
    extension_months: Annotated[
        int | None,
        typer.Option(
            "--extension-months",
            min=1,
            max=2,
            help="Also show the deadline after an extension by 1 or 2 months (extended_deadline).",
        ),
    ] = None,
) -> None:
    """The statutory deadline for one receipt time, with its explanation."""
    from avgdesk.triage.cases.deadlines import compute_deadline, parse_received_at, preview_extension

    settings = read_deadline_settings(ctx.find_root().params.get("config"))
    try:
        when = parse_received_at(received_at, settings.tz)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    result = compute_deadline(when, tz=settings.tz, policy_days=settings.policy_days)
    if extension_months is not None:
        result = preview_extension(result, extension_months)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True))
    else:
        english = lang is Language.EN
        headline = "Deadline" if english else "Uiterste termijn"
        typer.echo(f"{headline}: {result.legal_deadline.isoformat()}")
        typer.echo(result.explain("en" if english else "nl"))
