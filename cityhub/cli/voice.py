"""`cityhub voice ...`: sentiment model, hot issues and the daily brief."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console

from cityhub.cli.common import DB_HELP, FILE, one_line_errors, open_hub
from cityhub.errors import BadRequestData
from cityhub.timeutil import city_today

if TYPE_CHECKING:
    from cityhub.citizen.router import ClassifierRegistry


@click.group()
def voice() -> None:
    """Public opinion: sentiment, hot issues, reply evaluation and the daily brief."""


def train_from_corpora(
    registry: ClassifierRegistry, corpora: list[Path]
) -> tuple[int, dict[str, Any], int]:
    """Train and store a sentiment model; dev/test rows are held out and scored.
    Returns (version, report, training texts)."""
    from cityhub.voice.sentiment import read_corpus

    texts: list[str] = []
    labels: list[str] = []
    held_x: list[str] = []
    held_y: list[str] = []
    for path in corpora:
        tx, ty, hx, hy = read_corpus(path)
        texts += tx
        labels += ty
        held_x += hx
        held_y += hy
    version, report = registry.train(
        texts, labels, folds=0, held_out=(held_x, held_y) if held_x else None
    )
    return version, report, len(texts)


@voice.command("train-sentiment")
@click.argument("corpora", nargs=-1, required=True, type=FILE)
@click.option("--database", help=DB_HELP)
@one_line_errors
def train_sentiment(corpora: tuple[Path, ...], database: str | None) -> None:
    """Train the sentiment model from CORPORA (CSV: label 1/0, text or review, optional split).

    Rows whose split is dev or test are held out and scored; the model and the score are
    stored as a new version.
    """
    console = Console(stderr=True)
    with open_hub(database) as hub, console.status("training the sentiment model"):
        version, report, count = train_from_corpora(hub.sentiment, list(corpora))
    held = report.get("held_out")
    score = f"; held-out accuracy {held['accuracy']:.4f} on {held['n']}" if held else ""
    click.echo(
        f"sentiment model version {version}: {count} texts, "
        f"trained in {report['train_seconds']} s{score}"
    )


@voice.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("--database", help=DB_HELP)
@one_line_errors
def sentiment(texts: tuple[str, ...], database: str | None) -> None:
    """Sentiment of TEXTS: negative, neutral or positive, with the probability of positive."""
    with open_hub(database) as hub:
        for text, pol in zip(texts, hub.voice.score(texts), strict=True):
            click.echo(f"{pol.label}\t{pol.positive:.3f}\t{text[:60]}")


def _day(value: str | None, zone: str) -> dt.date:
    if not value:
        return city_today(zone)  # the city's today, not the server's
    from cityhub.voice.brief import check_day

    try:
        return check_day(dt.date.fromisoformat(value))
    except ValueError as exc:
        raise BadRequestData(f"--date must be YYYY-MM-DD, not {value!r}") from exc


@voice.command()
@click.option("--date", "date", help="Local day the brief is for (YYYY-MM-DD; default today).")
@click.option("--messages", multiple=True, type=FILE, help="CSV of messages to add (repeatable).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for brief-DATE.md, brief-DATE.html and the chart.",
)
@click.option("--database", help=DB_HELP)
@one_line_errors
def brief(date: str | None, messages: tuple[Path, ...], out: Path, database: str | None) -> None:
    """Write the daily brief (HTML and Markdown): hot issues, sentiment by district with a
    chart, negative bursts, worst-rated replies, overdue requests."""
    from cityhub.voice.brief import build_brief, to_html, to_markdown, trend_svg
    from cityhub.voice.service import read_messages_file

    console = Console(stderr=True)
    with open_hub(database) as hub, console.status("reading messages") as status:
        day = _day(date, hub.settings.timezone)
        extra = [m for p in messages for m in read_messages_file(p, hub.settings.timezone)]
        status.update(f"scoring and grouping {len(extra)} file messages and the requests")
        data = build_brief(hub.voice, day, extra)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"brief-{day.isoformat()}"
    stem.with_suffix(".md").write_text(to_markdown(data), encoding="utf-8")
    stem.with_suffix(".html").write_text(to_html(data), encoding="utf-8")
    (out / "sentiment_trend.svg").write_text(
        trend_svg(data["trend_days"], data["trend"]), encoding="utf-8"
    )
    stem.with_suffix(".json").write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    click.echo(f"{stem}.html  {stem}.md  ({data['messages_window']} messages)")
