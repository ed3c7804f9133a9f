"""`cityhub citizen ...`: train, evaluate and use the department classifier; deadlines; 三率."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from cityhub.cli.common import DB_HELP, FILE, one_line_errors, open_hub
from cityhub.errors import BadRequestData

if TYPE_CHECKING:
    from cityhub.hub import Hub


def _corpus(
    unlabelled: tuple[Path, ...], taxonomy: Path | None
) -> tuple[list[str], list[tuple[str, str, str]]]:
    from cityhub.citizen.corpus import read_messages, read_taxonomy

    texts: list[str] = []
    for path in unlabelled:
        texts += read_messages(path, labelled=False)[0]
    return texts, list(read_taxonomy(taxonomy)) if taxonomy else []


def print_report(console: Console, report: dict[str, Any], title: str) -> None:
    """Per-class precision/recall/F1, macro-F1 and the confusion matrix."""
    table = Table(title=title)
    for column in ("category", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for label, s in report["per_class"].items():
        table.add_row(
            label,
            f"{s['precision']:.3f}",
            f"{s['recall']:.3f}",
            f"{s['f1']:.3f}",
            str(s["support"]),
        )
    console.print(table)
    console.print(
        f"macro-F1 [bold]{report['macro_f1']:.4f}[/bold]  accuracy {report['accuracy']:.4f}  "
        f"n={report['n']}"
        + (f"  folds {', '.join(f'{f:.3f}' for f in report['folds'])}" if "folds" in report else "")
    )
    matrix = Table(title="confusion matrix (rows: true, columns: predicted)")
    labels = report["labels"]
    matrix.add_column("")
    for i in range(len(labels)):
        matrix.add_column(str(i + 1), justify="right")
    for i, (label, row) in enumerate(zip(labels, report["confusion"], strict=True)):
        matrix.add_row(f"{i + 1} {label}", *(str(v) for v in row))
    console.print(matrix)


@click.group()
def citizen() -> None:
    """Citizen requests: the department classifier, deadlines and department rates."""


def trained_on(hub: Hub, version: int) -> str | None:
    """The digest of the texts a stored classifier version was trained on, if it kept one."""
    for number, _, report in hub.store.requests.model_versions("department"):
        if number == version:
            return str(report.get("texts_sha256") or "") or None
    return None


@citizen.command()
@click.argument("labelled", type=FILE)
@click.option(
    "--unlabelled", multiple=True, type=FILE, help="CSV of unlabelled messages (repeatable)."
)
@click.option("--taxonomy", type=FILE, help="CSV with level1, level2, level3 category terms.")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds (0: skip).")
@click.option("--database", help=DB_HELP)
@one_line_errors
def train(
    labelled: Path,
    unlabelled: tuple[Path, ...],
    taxonomy: Path | None,
    folds: int,
    database: str | None,
) -> None:
    """Train the department classifier from LABELLED.csv (text/title/label columns).

    The new version is stored with its cross-validated evaluation and used at once for
    routing new requests.
    """
    from cityhub.citizen.corpus import read_messages

    console = Console(stderr=True)
    texts, labels = read_messages(labelled, labelled=True)
    extra, terms = _corpus(unlabelled, taxonomy)
    with open_hub(database) as hub, console.status("training") as status:
        version, report = hub.classifiers.train(
            texts, labels, extra, terms, folds=folds, progress=status.update
        )
    if "cross_validation" in report:
        print_report(console, report["cross_validation"], f"{folds}-fold cross-validation")
    click.echo(
        f"classifier version {version}: {report['labelled']} labelled, "
        f"{report['unlabelled']} unlabelled, trained in {report['train_seconds']} s"
    )


@citizen.command()
@click.argument("labelled", type=FILE)
@click.option("--cv", "folds", type=int, default=0, help="Cross-validate the procedure instead.")
@click.option("--unlabelled", multiple=True, type=FILE, help="With --cv: unlabelled messages.")
@click.option("--taxonomy", type=FILE, help="With --cv: the category taxonomy CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def evaluate(
    labelled: Path,
    folds: int,
    unlabelled: tuple[Path, ...],
    taxonomy: Path | None,
    as_json: bool,
    database: str | None,
) -> None:
    """Score the stored classifier on held-out LABELLED.csv (or cross-validate with --cv N)."""
    from cityhub.citizen.corpus import read_messages
    from cityhub.citizen.router import texts_digest
    from cityhub.citizen.textclf import cross_validate, scores

    console = Console(stderr=not as_json)
    texts, labels = read_messages(labelled, labelled=True)
    if folds:
        extra, terms = _corpus(unlabelled, taxonomy)
        with console.status("cross-validating") as status:
            report = cross_validate(texts, labels, extra, terms, folds, progress=status.update)
        title = f"{folds}-fold cross-validation on {labelled.name}"
    else:
        with open_hub(database) as hub:
            loaded = hub.classifiers.current()
            trained = trained_on(hub, loaded[0]) if loaded is not None else None
        if loaded is None:
            raise BadRequestData("no classifier has been trained: cityhub citizen train FILE.csv")
        version, model = loaded
        unknown = sorted(set(labels) - set(model.labels))
        if unknown:
            raise BadRequestData(f"categories the classifier does not know: {', '.join(unknown)}")
        report = scores(labels, model.predict(texts), model.labels)
        title = f"classifier version {version} on {labelled.name}"
        if trained == texts_digest(texts):
            report["warning"] = (
                f"{labelled.name} is the set the classifier was trained on: these scores say how "
                "well it remembers, not how well it routes new messages (hold out a set, or --cv)"
            )
            if not as_json:
                Console(stderr=True).print(f"[bold red]warning:[/] {report['warning']}")
    if as_json:
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(Console(), report, title)


@citizen.command()
@click.argument("texts", nargs=-1)
@click.option("--file", "file", type=FILE, help="CSV of messages to classify instead.")
@click.option("-k", default=1, show_default=True, help="How many categories to show.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def predict(texts: tuple[str, ...], file: Path | None, k: int, database: str | None) -> None:
    """Classify TEXTS (or a CSV --file): category, confidence and department, one line each."""
    from cityhub.citizen.corpus import read_messages

    items = list(texts)
    if file is not None:
        items += read_messages(file, labelled=False)[0]
    if not items:
        raise BadRequestData("give texts to classify or --file")
    with open_hub(database) as hub:
        routed = hub.classifiers.classify(items, k)
        if routed[0].model_version is None:
            raise BadRequestData("no classifier has been trained: cityhub citizen train FILE.csv")
        catalog = hub.requests.catalog
    for r in routed:
        top = "  ".join(f"{c} {p:.3f}" for c, p in r.top)
        click.echo(f"{catalog.department_for(r.category) or '-'}\t{top}")


@citizen.command()
@click.option("--database", help=DB_HELP)
@one_line_errors
def escalate(database: str | None) -> None:
    """Escalate open requests past their deadline (the server also does this every minute)."""
    with open_hub(database) as hub:
        changed = hub.requests.escalate_overdue()
    click.echo(f"escalated {changed} request(s)")


@citizen.command()
@click.option("--days", default=30, show_default=True, help="Requests received in the last N days.")
@click.option("--database", help=DB_HELP)
@one_line_errors
def rates(days: int, database: str | None) -> None:
    """Response, resolution and satisfaction rates (三率) per department."""
    end = dt.datetime.now(dt.UTC)
    with open_hub(database) as hub:
        rows = hub.requests.rates(end - dt.timedelta(days=days), end)
    table = Table(title=f"三率, last {days} days")
    for column in ("department", "received", "响应率", "办结率", "满意率"):
        table.add_column(column)

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    for r in rows:
        table.add_row(
            r["name"]["zh"],
            str(r["received"]),
            pct(r["response_rate"]),
            pct(r["resolution_rate"]),
            pct(r["satisfaction_rate"]),
        )
    Console().print(table)


@citizen.command("import")
@click.argument("export", type=FILE)
@click.option("--service", default="hotline", show_default=True, help="Service code to file under.")
@click.option("--limit", type=int, default=0, help="Import at most N messages (0: all).")
@click.option("--database", help=DB_HELP)
@one_line_errors
def import_(export: Path, service: str, limit: int, database: str | None) -> None:
    """Replay a hotline export (CSV: id, user, title, time, text[, likes, dislikes, reply,
    reply_time, lat, long, address]) as requests: routed and located like new ones, and
    resolved with the official reply when it has one (a message the classifier could not
    route is recorded as handled by the hotline centre, government-affairs). Times without an
    offset are the city's local time."""
    from zoneinfo import ZoneInfo

    from rich.progress import Progress

    from cityhub.citizen.corpus import import_rows
    from cityhub.citizen.service import NewRequest

    rows = list(import_rows(export))
    if limit:
        rows = rows[:limit]
    with open_hub(database) as hub, Progress(console=Console(stderr=True)) as progress:
        zone = ZoneInfo(hub.settings.timezone)

        def when(value: str) -> dt.datetime:
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise BadRequestData(f"{export}: {value!r} is not a date-time") from exc
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)

        task = progress.add_task(f"importing {export.name}", total=len(rows))
        replied = 0
        for row in rows:
            new = NewRequest(
                service,
                title=row.get("title") or "",
                description=(row.get("text") or row.get("title") or "")[:4000],
                lat=row.get("lat") or None,
                lon=row.get("long") or None,
                address=row.get("address") or "",
                reporter={"account_id": row.get("user") or ""},
                requested_at=when(row["time"]),
                location_required=False,
                extra={
                    "source_id": row.get("id") or "",
                    "likes": int(row.get("likes") or 0),
                    "dislikes": int(row.get("dislikes") or 0),
                },
            )
            created = hub.requests.create(new, actor="import")
            if row.get("reply"):
                answered = when(row.get("reply_time") or row["time"])
                if created.status in ("received", "returned"):
                    hub.requests.act(
                        created.id,
                        "dispatch",
                        "import",
                        department=created.department or "government-affairs",
                        at=answered,
                    )
                hub.requests.act(created.id, "resolve", "import", note=row["reply"], at=answered)
                replied += 1
            progress.advance(task)
    click.echo(f"imported {len(rows)} messages ({replied} with official replies) from {export}")
