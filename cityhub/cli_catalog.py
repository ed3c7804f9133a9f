"""`cityhub catalog ...`: the dataset catalog from the command line."""

from __future__ import annotations

import itertools
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cityhub.cli_citizen import FILE
from cityhub.cli_common import one_line_errors


@click.group()
def catalog() -> None:
    """The dataset catalog: files in, personal data found, sharing classified."""


@catalog.command()
@click.argument("path", type=FILE)
@click.option(
    "--sample",
    default=20_000,
    show_default=True,
    help="Rows checked for personal data (all rows are counted).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@one_line_errors
def scan(path: Path, sample: int, as_json: bool) -> None:
    """Read a CSV, XLSX, JSON, GeoJSON or Parquet file as a stream, find personal data per
    column (ID numbers, phones, bank cards, e-mail, names, addresses, plates, coordinates) and
    suggest its grade (GB/T 43697), share type and open type for a data steward to confirm."""
    from cityhub.catalog.classify import profile, suggest
    from cityhub.catalog.tables import open_table

    columns: list[ProgressColumn] = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"reading {path.name}", total=path.stat().st_size)
        table = open_table(path, lambda n: progress.advance(task, n))
        first = list(itertools.islice(table.rows, max(sample, 0)))
        profiles = profile(table.header, first)
        rows = len(first) + sum(1 for _ in table.rows)
    advice = suggest(profiles, rows)
    if as_json:
        body = {
            "file": path.name,
            "format": table.format,
            "rows": rows,
            "checked": len(first),
            "columns": [p.as_dict() for p in profiles],
            "suggestion": advice.as_dict(),
        }
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    out = Console()
    grid = Table(title=f"{path.name}: {rows:,} rows ({len(first):,} checked)")
    for name in ("column", "values", "personal data"):
        grid.add_column(name)
    for p in profiles:
        found = ", ".join(f"{k} {p.hits[k]}" for k in p.kinds)
        grid.add_row(p.name, f"{p.values:,}", found or "-")
    out.print(grid)
    level = f" level {advice.level}" if advice.level else ""
    out.print(
        f"suggested: grade {advice.grade}{level}, share {advice.share_type} "
        f"({advice.as_dict()['shareTypeText']}), open {advice.open_type}"
    )
    for reason in advice.reasons:
        out.print(f"  - {reason}")
