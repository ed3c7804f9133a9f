"""`cityhub evaluate ...`: policy evaluation on a panel file."""

from __future__ import annotations

import csv
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.table import Table

from cityhub.cli_citizen import FILE
from cityhub.cli_common import one_line_errors
from cityhub.errors import BadRequestData


@click.group()
def evaluate() -> None:
    """Policy evaluation: did a policy change the outcome, and by how much."""


@evaluate.command()
@click.argument("panel", type=FILE)
@click.option("--unit", required=True, help="Column naming the unit (county, district, ...).")
@click.option("--time", "time_col", required=True, help="Column with the period (a year).")
@click.option("--outcome", required=True, help="Column with the outcome.")
@click.option("--group", required=True, help="Column with the first treated period (0: never).")
@click.option(
    "--control",
    type=click.Choice(["never", "notyet"]),
    default="never",
    show_default=True,
    help="Compare with never-treated or not-yet-treated units.",
)
@click.option("--bootstrap", default=999, show_default=True, help="Bootstrap draws for SEs.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@one_line_errors
def did(
    panel: Path,
    unit: str,
    time_col: str,
    outcome: str,
    group: str,
    control: str,
    bootstrap: int,
    as_json: bool,
) -> None:
    """Staggered difference-in-differences (Callaway-Sant'Anna) on a PANEL CSV: ATT(g,t) per
    cohort and period, and the simple, group, dynamic and calendar aggregates with bootstrap
    standard errors. Assumes parallel trends: check that pre-treatment ATT(g,t) are near 0."""
    from cityhub.indicators.did import balanced_panel, callaway_santanna

    try:
        with panel.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError as exc:
        raise BadRequestData(f"no such file: {panel}") from exc
    console = Console(stderr=True)
    with console.status(f"estimating with {bootstrap} bootstrap draws"):
        result = callaway_santanna(
            balanced_panel(rows, unit, time_col, outcome, group), control, bootstrap
        )
    body = result.as_dict()
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"ATT(g,t) of {outcome}, {control}-treated controls")
    for column in ("cohort g", "period t", "ATT", "SE", ""):
        table.add_column(column, justify="right")
    for cell in body["att_gt"]:
        pre = "pre-treatment (placebo)" if cell["time"] < cell["group"] else ""
        table.add_row(
            str(cell["group"]),
            str(cell["time"]),
            f"{cell['att']:.4f}",
            f"{cell['se']:.4f}" if cell["se"] is not None else "-",
            pre,
        )
    out = Console()
    out.print(table)
    for name in ("simple", "group", "dynamic", "calendar"):
        agg = body["aggregate"][name]
        se = f" (SE {agg['se']:.4f})" if agg["se"] is not None else ""
        out.print(f"{name:>9} ATT {agg['att']:.4f}{se}")
