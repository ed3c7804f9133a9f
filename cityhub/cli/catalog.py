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

from cityhub.cli.common import DB_HELP, FILE, one_line_errors, open_hub
from cityhub.errors import BadRequestData


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


def _progress() -> Progress:
    columns: list[ProgressColumn] = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, console=Console(stderr=True), transient=True)


def _meta_file(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            loaded = tomllib.loads(text)
        else:
            loaded = orjson.loads(text)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadRequestData(f"{path.name}: not valid metadata ({exc})") from exc
    if not isinstance(loaded, dict):
        raise BadRequestData(f"{path.name}: metadata must be a table of fields")
    return loaded


@catalog.command()
@click.argument("path", type=FILE)
@click.option("--name", help="The dataset's short name (URL); a new version if it exists.")
@click.option("--org", help="Publishing department's short name, e.g. szeb.")
@click.option("--org-title", help="The department's name, e.g. 深圳市生态环境局.")
@click.option("--title", help="Title in Chinese (标题).")
@click.option("--title-en", help="Title in English.")
@click.option("--description", help="Description in Chinese (描述).")
@click.option("--theme", "themes", multiple=True, help="Theme, e.g. 环境 or transport (repeat).")
@click.option("--keyword", "keywords", multiple=True, help="Keyword (repeat).")
@click.option("--frequency", help="realtime, hourly, daily, weekly, monthly, annual, ...")
@click.option("--license", "license_id", help="cc-by-4.0, cc0-1.0, odc-by, odc-odbl, ...")
@click.option("--share-type", help="Declared share type: unconditional, conditional, not_shared.")
@click.option("--open-type", help="Declared open type: open, restricted, prohibited.")
@click.option("--index", "indexes", multiple=True, help="Column to index for fast filters.")
@click.option("--meta", type=FILE, help="Metadata as a TOML or JSON file (options override it).")
@click.option("--database", help=DB_HELP)
@one_line_errors
def add(path: Path, meta: Path | None, database: str | None, **options: object) -> None:
    """Publish a CSV, XLSX, JSON, GeoJSON or Parquet file as a dataset (or as the next
    version of an existing one). The file is streamed in with a progress bar, column types
    are inferred, personal data is looked for, and the dataset gets the stricter of the
    declared and the suggested classification until a data steward confirms it."""
    import time

    from cityhub.catalog.policy import OPERATOR

    fields = _meta_file(meta)
    renames = {"license_id": "license"}
    for key, value in options.items():
        if value not in (None, ()):
            fields[renames.get(key, key)] = list(value) if isinstance(value, tuple) else value
    name = fields.get("name")
    if not isinstance(name, str):
        raise BadRequestData("give the dataset a --name (or name in --meta)")
    with open_hub(database) as hub:
        if hub.store.catalog.find_dataset(name) is None:
            fields.setdefault("title", name)
            hub.catalog.create(OPERATOR, fields)
        started = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task(f"loading {path.name}", total=path.stat().st_size)
            v = hub.catalog.add_file(
                OPERATOR, name, path, progress=lambda n: progress.advance(task, n)
            )
        took = time.perf_counter() - started
        d = hub.catalog.dataset(name)
    out = Console()
    out.print(
        f"{d.name} version {v.version}: {v.rows:,} rows in {took:.1f} s "
        f"({v.rows / max(took, 1e-9):,.0f} rows/s)"
    )
    personal = [f"{c['id']} ({', '.join(c['kinds'])})" for c in v.columns if c["kinds"]]
    out.print("personal data: " + (", ".join(personal) or "none found"))
    level = f" level {d.level}" if d.level else ""
    state = "confirmed" if d.confirmed else "awaiting a steward"
    out.print(
        f"classification: grade {d.grade}{level}, share {d.share_type}, "
        f"open {d.open_type} ({state})"
    )


@catalog.command("list")
@click.option("--database", help=DB_HELP)
@one_line_errors
def list_datasets(database: str | None) -> None:
    """List the catalogue's datasets with department, version, rows and classification."""
    with open_hub(database) as hub:
        found = hub.catalog.datasets()
        versions = hub.store.catalog.current_versions()
    rows = []
    for d in found:
        v = versions.get(d.id)
        grade = d.grade + (f" L{d.level}" if d.level else "") + ("" if d.confirmed else " ?")
        rows.append(
            (
                d.name,
                str(d.doc.get("title", "")),
                d.org,
                str(d.version),
                f"{v.rows:,}" if v else "-",
                d.share_type,
                grade,
            )
        )
    console = Console()
    if console.width < 110:
        # A narrow terminal: one dataset per two lines, the name alone on the first so it can
        # be copied whole (a table would squeeze every column to nothing).
        console.print(f"{len(found)} datasets", style="bold")
        for name, title, org, version, count, share, grade in rows:
            console.print(name, style="bold", soft_wrap=True, highlight=False)
            console.print(
                f"  {title} · {org} · v{version} · {count} rows · {share} · {grade}",
                highlight=False,
            )
        return
    grid = Table(title=f"{len(found)} datasets")
    grid.add_column("name", no_wrap=True)
    for column in ("title", "department", "version", "rows", "share", "grade"):
        grid.add_column(column)
    for row in rows:
        grid.add_row(*row)
    console.print(grid)


@catalog.command()
@click.argument("name")
@click.option("--grade", type=click.Choice(["core", "important", "general"]))
@click.option("--level", type=click.IntRange(1, 4), help="Level 1-4 for general data.")
@click.option("--share-type", type=click.Choice(["unconditional", "conditional", "not_shared"]))
@click.option("--open-type", type=click.Choice(["open", "restricted", "prohibited"]))
@click.option("--conditions", help="Conditions of conditional sharing (共享条件).")
@click.option(
    "--column", "columns", multiple=True, help="COLUMN=KIND[,KIND]: personal data a column holds."
)
@click.option("--database", help=DB_HELP)
@one_line_errors
def classify(
    name: str,
    grade: str | None,
    level: int | None,
    share_type: str | None,
    open_type: str | None,
    conditions: str | None,
    columns: tuple[str, ...],
    database: str | None,
) -> None:
    """Confirm (or correct) a dataset's classification as its data steward: grade and level
    (GB/T 43697), share type and conditions, open type, and which columns hold personal data."""
    from cityhub.catalog.policy import OPERATOR

    changes: dict[str, object] = {}
    for key, value in (
        ("grade", grade),
        ("level", level),
        ("share_type", share_type),
        ("open_type", open_type),
        ("share_conditions", conditions),
    ):
        if value is not None:
            changes[key] = value
    if columns:
        kinds: dict[str, list[str]] = {}
        for item in columns:
            column, _, listed = item.partition("=")
            kinds[column] = [k for k in listed.split(",") if k]
        changes["column_kinds"] = kinds
    with open_hub(database) as hub:
        d = hub.catalog.classify(OPERATOR, name, changes)
    level_text = f" level {d.level}" if d.level else ""
    click.echo(f"{d.name}: grade {d.grade}{level_text}, share {d.share_type}, open {d.open_type}")


@catalog.group()
def audit() -> None:
    """The catalog's access audit (append-only, hash-chained)."""


@audit.command()
@click.option("--database", help=DB_HELP)
@one_line_errors
def verify(database: str | None) -> None:
    """Recompute the audit's hash chain; exit 1 naming the first record that was altered,
    removed or reordered."""
    with open_hub(database) as hub, _progress() as progress:
        task = progress.add_task("verifying the audit", total=None)
        result = hub.catalog.audit.verify(lambda n: progress.advance(task, n))
    if not result.ok:
        raise click.ClickException(f"audit broken at record {result.broken_at}: {result.reason}")
    click.echo(f"audit intact: {result.records:,} records")


@audit.command()
@click.option("--dataset", help="Only this dataset (name or id).")
@click.option("--limit", default=50, show_default=True, help="Records to show.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def show(dataset: str | None, limit: int, database: str | None) -> None:
    """Show audit records: when, who (key, department, role), what and how many rows."""
    from cityhub.catalog.audit import record_dict
    from cityhub.store.catalog_sql import AuditFilter

    with open_hub(database) as hub:
        ids = [hub.catalog.dataset(dataset).id] if dataset else None
        found = hub.catalog.audit.query(AuditFilter(dataset_ids=ids), limit=limit)
        tz = hub.settings.timezone
    for r in found:
        d = record_dict(r, tz)
        click.echo(
            f"{d['seq']:>6} {d['at']} {d['actor']} {d['department'] or '-'} {d['role']} "
            f"{d['action']} {d['dataset']} v{d['version'] or '-'} {d['rows']} rows"
        )
