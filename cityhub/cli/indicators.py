"""`cityhub indicators ...` and `cityhub targets ...`: city goals measured on its own data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from cityhub.cli.common import DB_HELP, FILE, one_line_errors, open_hub
from cityhub.errors import BadRequestData

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _dump(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


@click.group()
def indicators() -> None:
    """City indicators: definitions, computation from the store, uploaded series, forecasts."""


@indicators.command("list")
@click.option("--theme", help="Only this theme (environment, mobility, governance, economy …).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def list_indicators(theme: str | None, as_json: bool, database: str | None) -> None:
    """List every indicator definition the platform knows (shipped and the city's own)."""
    with open_hub(database) as hub:
        defs = hub.indicators.library.all(theme)
    if as_json:
        _dump([d.summary() for d in defs])
        return
    console = Console()
    if console.width < 110:  # a narrow terminal: one line per id, so each stays whole to copy
        console.print(f"{len(defs)} indicators", style="bold")
        for d in defs:
            console.print(d.id, style="bold", soft_wrap=True, highlight=False)
            names = f"{d.name.get('zh', '')} · {d.name.get('en', '')}"
            console.print(f"  {names} · {d.unit} · {d.periodicity}", highlight=False)
        return
    table = Table(title=f"{len(defs)} indicators")
    table.add_column("id", no_wrap=True)
    for column in ("名称", "name", "unit", "period", "kind", "standard"):
        table.add_column(column)
    for d in defs:
        refs = "; ".join(f"{s.get('scheme', '')} {s.get('ref', '')}".strip() for s in d.standard)
        table.add_row(
            d.id, d.name.get("zh", ""), d.name.get("en", ""), d.unit, d.periodicity, d.kind, refs
        )
    console.print(table)


@indicators.command("show")
@click.argument("indicator")
@click.option(
    "--place", default="city", show_default=True, help="city, a district or a department."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def show(indicator: str, place: str, as_json: bool, database: str | None) -> None:
    """Show INDICATOR's definition and its computed values for one place."""
    with open_hub(database) as hub:
        d = hub.indicators.definition(indicator)
        values = hub.indicators.values(indicator, place)
    if as_json:
        _dump({**d.document(), "values": [v.__dict__ for v in values]})
        return
    console = Console()
    console.print(f"[bold]{d.id}[/] {d.name.get('zh', '')} / {d.name.get('en', '')} ({d.unit})")
    console.print(d.description.get("zh", ""))
    console.print(d.description.get("en", ""))
    table = Table(title=f"{place}: {len(values)} values")
    for column in ("period", "value", "observations"):
        table.add_column(column)
    for v in values:
        table.add_row(v.period, "" if v.value is None else f"{v.value:g}", str(v.observations))
    console.print(table)


@indicators.command("compute")
@click.argument("indicator", nargs=-1)
@click.option("--since", type=DATE, help="First local day (default: 1 January two years ago).")
@click.option("--until", type=DATE, help="Last local day (default: today).")
@click.option("--database", help=DB_HELP)
@one_line_errors
def compute(
    indicator: tuple[str, ...],
    since: dt.datetime | None,
    until: dt.datetime | None,
    database: str | None,
) -> None:
    """Compute INDICATOR(s) (default: all) over the window, store the values per place and
    period, and publish them as KeyPerformanceIndicator entities."""
    today = dt.date.today()
    first = since.date() if since else dt.date(today.year - 2, 1, 1)
    last = until.date() if until else today
    with open_hub(database) as hub:
        ids = list(indicator) or None
        todo = hub.indicators.library.in_order(ids)
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("computing indicators", total=len(todo))
            written = hub.indicators.compute(
                ids,
                first,
                last,
                progress=lambda d: progress.update(task, advance=1, description=d.id),
            )
    total = sum(written.values())
    click.echo(f"computed {len(written)} indicators, {total} values ({first} to {last})")


@indicators.command("load")
@click.argument("indicator")
@click.argument("path", type=FILE)
@click.option(
    "--time-column", help="Column with the year, month or date (default: the definition's)."
)
@click.option("--value-column", help="Column with the number (default: the definition's).")
@click.option("--place-column", help="Column naming the place, when the file has several.")
@click.option("--city-place", help="The place value that means this city itself.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def load(
    indicator: str,
    path: Path,
    time_column: str | None,
    value_column: str | None,
    place_column: str | None,
    city_place: str | None,
    database: str | None,
) -> None:
    """Load official statistics (CSV or XLSX) from PATH into the series INDICATOR reads."""
    with open_hub(database) as hub:
        count = hub.indicators.load_series(
            indicator, path, time_column, value_column, place_column, city_place
        )
    click.echo(f"loaded {count} points for {indicator} from {path.name}")


@indicators.command("forecast")
@click.argument("indicator")
@click.option("--place", default="city", show_default=True)
@click.option("--horizon", default=3, show_default=True, help="Periods ahead.")
@click.option(
    "--level", default=0.95, show_default=True, help="Prediction interval: 0.8, 0.9, 0.95."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def forecast(
    indicator: str, place: str, horizon: int, level: float, as_json: bool, database: str | None
) -> None:
    """Forecast INDICATOR with intervals; the method is chosen by rolling-origin backtest
    (MASE, sMAPE against naive and seasonal naive)."""
    with open_hub(database) as hub, Console(stderr=True).status("backtesting forecast methods"):
        result = hub.indicators.forecast(indicator, place, horizon, level)
    if as_json:
        _dump(result.as_dict())
        return
    console = Console()
    if result.backtest:
        scores = Table(title="rolling-origin backtest (lower is better)")
        for column in ("method", "MASE", "sMAPE %", "origins"):
            scores.add_column(column)
        for method, s in sorted(result.backtest.items(), key=lambda kv: kv[1]["mase"]):
            mark = " ←" if method == result.method else ""
            scores.add_row(
                method + mark, f"{s['mase']:.3f}", f"{s['smape']:.2f}", f"{s['origins']:.0f}"
            )
        console.print(scores)
    else:  # no method could be scored: say so rather than print an empty table
        console.print(
            "The series is too short to backtest any method: the forecast is the naive one "
            "(the last value carried forward), with its interval."
        )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    table = Table(title=f"{indicator} {place}: {result.method}, {int(level * 100)}% interval")
    for column in ("period", "forecast", "lower", "upper"):
        table.add_column(column)
    for p, m, lo, hi in zip(result.periods, result.mean, result.lower, result.upper, strict=True):
        table.add_row(p, f"{m:.4g}", f"{lo:.4g}", f"{hi:.4g}")
    console.print(table)


@click.group()
def targets() -> None:
    """Targets per indicator and period, and their assessment."""


@targets.command("set")
@click.argument("indicator")
@click.argument("period")
@click.argument("value", type=float, required=False)
@click.option("--place", default="city", show_default=True)
@click.option(
    "--kind",
    type=click.Choice(["auto", "max", "min", "elapsed"]),
    default="auto",
    show_default=True,
    help="max: at most; min: at least; elapsed: keep up with 序时进度; auto: from the direction.",
)
@click.option("--base", "base_period", help="Base period for a multi-year goal (Open SDG CAGR).")
@click.option("--note", default="", help="Why, or where the target comes from.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def set_target(
    indicator: str,
    period: str,
    value: float | None,
    place: str,
    kind: str,
    base_period: str | None,
    note: str,
    database: str | None,
) -> None:
    """Set INDICATOR's target VALUE for PERIOD (2026, 2026-Q2, 2026-05)."""
    with open_hub(database) as hub:
        t = hub.indicators.set_target(indicator, period, value, place, kind, base_period, note)
    click.echo(f"target set: {t.indicator} {t.place} {t.period} {t.kind} {t.value}")


@targets.command("assess")
@click.argument("indicator", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--database", help=DB_HELP)
@one_line_errors
def assess(indicator: tuple[str, ...], as_json: bool, lang: str, database: str | None) -> None:
    """Assess targets (all, or INDICATOR's): achieved / on track / at risk / off track, with
    the numbers behind each status; the KeyPerformanceIndicator entities get the standings."""
    with open_hub(database) as hub, Console(stderr=True).status("assessing targets"):
        hub.indicators.sync_targets(list(indicator) or None)
        results = hub.indicators.assess(list(indicator) or None, publish=True)
    if not results:
        raise BadRequestData("no targets set: see 'cityhub targets set --help'")
    if as_json:
        _dump([r.as_dict() for r in results])
        return
    table = Table(title="target assessment")
    table.add_column("indicator", no_wrap=True)
    for column in ("place", "period", "target", "status", "method", "why"):
        table.add_column(column)
    for r in results:
        d = r.as_dict()
        table.add_row(
            r.indicator,
            r.place,
            r.period,
            "" if r.target is None else f"{r.target:g}",
            d["statusText"][lang],
            r.method,
            r.explanation.get(lang, ""),
        )
    Console().print(table)
