"""`cityhub evaluate ...`: policy evaluation on a panel file or on the stored values of an
indicator (one row per place and period)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from cityhub.cli.common import DB_HELP, FILE, one_line_errors, open_hub
from cityhub.errors import BadRequestData
from cityhub.indicators import analyses


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError as exc:
        raise BadRequestData(f"no such file: {path}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"{path} is not a UTF-8 CSV file: {exc}") from exc


def _columns(panel: Path | None, indicator: str | None, **columns: str | None) -> dict[str, str]:
    """The column names a file panel needs; an indicator panel has place, period and its id."""
    if indicator is not None:
        if panel is not None:
            raise BadRequestData("give a panel file or --indicator, not both")
        return {}
    missing = [name for name, value in columns.items() if not value]
    if panel is None or missing:
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in columns)
        raise BadRequestData(f"give a panel file with {flags}, or --indicator ID")
    return {name: str(value) for name, value in columns.items()}


def _indicator_rows(
    indicator: str, database: str | None, extra: tuple[str, ...] = (), **kwargs: Any
) -> list[dict[str, Any]]:
    ids = [indicator, *(e for e in extra if e != indicator)]
    with open_hub(database) as hub:
        rows: list[dict[str, Any]] = hub.indicators.panel(ids, **kwargs)
    return rows


def _pairs(specs: tuple[str, ...], what: str) -> dict[str, int]:
    """PLACE=YEAR options as a mapping."""
    out = {}
    for spec in specs:
        place, sep, year = spec.rpartition("=")
        if not sep or not place or not year.strip().isdecimal():
            raise BadRequestData(f"{what} takes PLACE=YEAR, not {spec!r}")
        out[place] = int(year)
    return out


INDICATOR_HELP = "Evaluate this indicator's stored values (places as units) instead of a file."


def _finish(body: dict[str, Any], report: Path | None, page: str, as_json: bool) -> Any:
    """Write the HTML report when asked; print JSON and return None, or return the numbers
    for the command to print as tables. (The analyses are the API's: indicators.analyses.)"""
    if report is not None:
        report.write_text(page, encoding="utf-8")
    if as_json:
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return None
    return body


@click.group()
def evaluate() -> None:
    """Policy evaluation: did a policy change the outcome, and by how much."""


@evaluate.command()
@click.argument("panel", type=FILE, required=False)
@click.option("--unit", help="Column naming the unit (county, district, ...).")
@click.option("--time", "time_col", help="Column with the period (a year).")
@click.option("--outcome", help="Column with the outcome.")
@click.option("--group", help="Column with the first treated period (0: never).")
@click.option("--indicator", help=INDICATOR_HELP)
@click.option(
    "--adopted",
    multiple=True,
    help="With --indicator: PLACE=YEAR, the first year a place was treated (repeatable).",
)
@click.option("--database", help=DB_HELP)
@click.option(
    "--control",
    type=click.Choice(["never", "notyet"]),
    default="never",
    show_default=True,
    help="Compare with never-treated or not-yet-treated units.",
)
@click.option("--bootstrap", default=999, show_default=True, help="Bootstrap draws for SEs.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--report", type=click.Path(path_type=Path), help="Write an HTML report here.")
@one_line_errors
def did(
    panel: Path | None,
    unit: str | None,
    time_col: str | None,
    outcome: str | None,
    group: str | None,
    indicator: str | None,
    adopted: tuple[str, ...],
    database: str | None,
    control: str,
    bootstrap: int,
    as_json: bool,
    report: Path | None,
) -> None:
    """Staggered difference-in-differences (Callaway-Sant'Anna) on a PANEL CSV: ATT(g,t) per
    cohort and period, and the simple, group, dynamic and calendar aggregates with bootstrap
    standard errors. Assumes parallel trends: check that pre-treatment ATT(g,t) are near 0.

    With --indicator the units are its places and --adopted names the treated ones."""
    names = _columns(panel, indicator, unit=unit, time=time_col, outcome=outcome, group=group)
    if indicator is not None:
        cohorts = _pairs(adopted, "--adopted")
        if not cohorts:
            raise BadRequestData("with --indicator, name the treated places: --adopted PLACE=YEAR")
        rows: list[dict[str, Any]] = _indicator_rows(indicator, database, yearly=True)
        for row in rows:
            row["group"] = cohorts.get(row["place"], 0)
        unit, time_col, outcome, group = "place", "period", indicator, "group"
    else:
        rows = list(_read_csv(Path(str(panel))))
        unit, time_col, outcome, group = (names[k] for k in ("unit", "time", "outcome", "group"))
    console = Console(stderr=True)
    chosen = {
        "unit": str(unit),
        "time": str(time_col),
        "outcome": str(outcome),
        "group": str(group),
    }
    with console.status(f"estimating with {bootstrap} bootstrap draws"):
        result, page = analyses.did(rows, chosen, control, bootstrap)
    body = _finish(result, report, page, as_json)
    if body is None:
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


def _span(text: str, what: str) -> tuple[int, ...]:
    """FROM-TO[:STEP] or a single period."""
    try:
        body, _, step = text.partition(":")
        first, _, last = body.partition("-")
        start, end = int(first), int(last or first)
        return tuple(range(start, end + 1, int(step or 1)))
    except ValueError as exc:
        raise BadRequestData(
            f"{what} must look like 1960-1969 or 1961-1969:2, not {text!r}"
        ) from exc


@evaluate.command()
@click.argument("panel", type=FILE, required=False)
@click.option("--unit", help="Column naming the unit (region, district, ...).")
@click.option("--time", "time_col", help="Column with the period (a year).")
@click.option("--outcome", help="Column with the outcome.")
@click.option("--indicator", help=INDICATOR_HELP + " Predictors are other indicators' ids.")
@click.option("--database", help=DB_HELP)
@click.option("--treated", required=True, help="The treated unit, as the unit column names it.")
@click.option("--treatment", type=int, required=True, help="First period under treatment.")
@click.option(
    "--predictor",
    "predictor_specs",
    multiple=True,
    help="VARIABLE=FROM-TO[:STEP], averaged over those periods (repeatable).",
)
@click.option("--optimize", required=True, help="Periods the outcome is fitted over: FROM-TO.")
@click.option("--donor", "donors", multiple=True, help="Donor units (default: all others).")
@click.option(
    "--placebo/--no-placebo",
    default=True,
    show_default=True,
    help="Placebos in space for a p-value.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--report", type=click.Path(path_type=Path), help="Write an HTML report here.")
@one_line_errors
def synth(
    panel: Path | None,
    unit: str | None,
    time_col: str | None,
    outcome: str | None,
    indicator: str | None,
    database: str | None,
    treated: str,
    treatment: int,
    predictor_specs: tuple[str, ...],
    optimize: str,
    donors: tuple[str, ...],
    placebo: bool,
    as_json: bool,
    report: Path | None,
) -> None:
    """Synthetic control on a PANEL CSV: donor weights, the treated unit against its synthetic
    twin, pre/post RMSPE and a placebo p-value. Assumes no donor was affected by the policy."""
    chosen: list[tuple[str, tuple[int, ...]]] = []
    for spec in predictor_specs:
        variable, sep, span = spec.partition("=")
        if not sep:
            raise BadRequestData(f"--predictor takes VARIABLE=FROM-TO, not {spec!r}")
        chosen.append((variable, _span(span, "--predictor")))
    names = _columns(panel, indicator, unit=unit, time=time_col, outcome=outcome)
    if indicator is not None:
        variables = tuple(variable for variable, _ in chosen)
        rows: list[dict[str, Any]] = _indicator_rows(indicator, database, variables, yearly=True)
        unit, time_col, outcome = "place", "period", indicator
    else:
        rows = list(_read_csv(Path(str(panel))))
        unit, time_col, outcome = names["unit"], names["time"], names["outcome"]
    with Console(stderr=True).status("fitting the synthetic control and its placebos"):
        result, page = analyses.synth(
            rows,
            str(unit),
            str(time_col),
            str(outcome),
            treated,
            treatment,
            chosen,
            _span(optimize, "--optimize"),
            list(donors) or None,
            placebo,
        )
    body = _finish(result, report, page, as_json)
    if body is None:
        return
    out = Console()
    out.print("donor weights: " + ", ".join(f"{k} {v}" for k, v in body["weights"].items()))
    out.print(
        f"RMSPE before {body['pre_rmspe']:.4f}, after {body['post_rmspe']:.4f}; "
        f"placebo p-value {body['p_value']}"
    )
    table = Table(title=f"{outcome}: {treated} and its synthetic control")
    for column in ("period", "actual", "synthetic", "gap"):
        table.add_column(column, justify="right")
    for row in body["series"]:
        table.add_row(
            str(row["period"]),
            f"{row['actual']:.4f}",
            f"{row['synthetic']:.4f}",
            f"{row['gap']:.4f}",
        )
    out.print(table)


@evaluate.command()
@click.argument("series", type=FILE, required=False)
@click.option("--time", "time_col", help="Column with the period (sorted on it).")
@click.option("--value", "value_col", help="Column with the outcome.")
@click.option("--indicator", help="Evaluate this indicator's stored values instead of a file.")
@click.option("--place", default="city", show_default=True, help="With --indicator: the place.")
@click.option("--database", help=DB_HELP)
@click.option("--interruption", required=True, help="First period under the policy.")
@click.option("--season", default=0, show_default=True, help="Season length (12: monthly data).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--report", type=click.Path(path_type=Path), help="Write an HTML report here.")
@one_line_errors
def its(
    series: Path | None,
    time_col: str | None,
    value_col: str | None,
    indicator: str | None,
    place: str,
    database: str | None,
    interruption: str,
    season: int,
    as_json: bool,
    report: Path | None,
) -> None:
    """Interrupted time series on a SERIES CSV: change in level and slope at the interruption,
    with Newey-West standard errors. Assumes nothing else changed at the same time.

    With --indicator the series is its values for --place, and --interruption a period label
    (2024, 2024-Q2, 2024-05)."""
    names = _columns(series, indicator, time=time_col, value=value_col)
    if indicator is not None:
        rows: list[dict[str, Any]] = _indicator_rows(indicator, database, places=[place])
        time_col, value_col = "period", indicator
    else:
        rows = list(_read_csv(Path(str(series))))
        time_col, value_col = names["time"], names["value"]
    result, page = analyses.its(rows, str(time_col), str(value_col), interruption, season)
    body = _finish(result, report, page, as_json)
    if body is None:
        return
    out = Console()
    for name, effect in body["effects"].items():
        out.print(
            f"{name:>13} {effect['estimate']:.4f} (SE {effect['se']:.4f}, "
            f"p {effect['p_value']:.4f})"
        )
    out.print(
        f"pre-existing trend {body['trend']:.4f} per period; {body['n']} periods, "
        f"{body['pre_periods']} before; HAC lags {body['hac_lags']}"
    )
