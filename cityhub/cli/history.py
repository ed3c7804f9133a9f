"""`cityhub history`: the retention of raw temporal history."""

from __future__ import annotations

import time

import click

from cityhub.cli.common import DB_HELP, one_line_errors, open_hub


@click.group()
def history() -> None:
    """Temporal history: raw instances kept per type, hourly roll-ups kept for good."""


@history.command("prune")
@click.option(
    "--keep",
    help="Days of raw history kept per type, e.g. 'ParkingSpot=2,*=30' (default: "
    "CITYHUB_HISTORY_KEEP).",
)
@click.option("--database", help=DB_HELP)
@one_line_errors
def prune(keep: str | None, database: str | None) -> None:
    """Delete raw history older than each type's kept days (a running server does this
    hourly when CITYHUB_HISTORY_KEEP is set). Whole-hour aggregations and history-based
    indicators still answer for the pruned hours from the hourly roll-ups."""
    from cityhub.broker.retention import PruneStep, RetentionPolicy
    from cityhub.broker.retention import prune as prune_history
    from cityhub.errors import BadRequestData

    def told(step: PruneStep, total: int) -> None:
        click.echo(f"  {step.type_name}: {total:,} rows so far", err=True)

    with open_hub(database) as hub:
        policy = RetentionPolicy.parse(keep if keep is not None else hub.settings.history_keep)
        if not policy:
            raise BadRequestData("no retention given: use --keep or CITYHUB_HISTORY_KEEP")
        before = hub.store.retention.raw_rows()
        compact = hub.contexts.vocabulary.type_term
        removed = prune_history(hub.store, policy, compact, time.time_ns() // 1000, told)
        after = hub.store.retention.raw_rows()
    for (tenant, name), n in sorted(removed.items()):
        click.echo(f"{name}{f' (tenant {tenant})' if tenant else ''}: {n:,} raw rows removed")
    click.echo(f"raw history rows: {before:,} before, {after:,} after")
