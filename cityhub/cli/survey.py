"""`cityhub survey estimate`: design-based estimates from any CSV of responses."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click

from cityhub.cli.common import one_line_errors
from cityhub.errors import BadRequestData


@click.group()
def survey() -> None:
    """Survey commands: weighted estimates with design-based standard errors."""


def _margins_file(spec: str, option: str) -> tuple[str, dict[str, float]]:
    column, _, path = spec.partition("=")
    if not column or not path:
        raise BadRequestData(f"{option} takes COLUMN=MARGINS.csv, not {spec!r}")
    totals: dict[str, float] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"level", "total"} <= set(reader.fieldnames):
            raise BadRequestData(f"{path}: a margins file has the columns level,total")
        for line, row in enumerate(reader, start=2):
            try:
                total = float(row["total"])
            except ValueError:
                raise BadRequestData(
                    f"{path}, row {line}: total {row['total']!r} is not a number"
                ) from None
            if total <= 0:
                raise BadRequestData(f"{path}, row {line}: a population total must be positive")
            totals[row["level"].strip()] = total
    if not totals:
        raise BadRequestData(f"{path}: no levels")
    return column, totals


def _scale(spec: str) -> tuple[str, float, float]:
    name, _, bounds = spec.partition("=")
    low, _, high = bounds.partition("-")
    try:
        lo, hi = float(low), float(high)
    except ValueError:
        raise BadRequestData(
            f"--index takes VAR=LOW-HIGH, e.g. satisfaction=1-5, not {spec!r}"
        ) from None
    if not name or hi <= lo:
        raise BadRequestData(f"--index takes VAR=LOW-HIGH with LOW below HIGH, not {spec!r}")
    return name, lo, hi


def _read(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return list(frame.columns), {c: frame[c].tolist() for c in frame.columns}


@survey.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--weight", required=True, help="Column of design (sampling) weights.")
@click.option("--strata", help="Column naming each response's stratum.")
@click.option("--cluster", help="Column naming each response's primary sampling unit (PSU).")
@click.option(
    "--fpc",
    help="Column of population sizes: of the stratum (of its PSUs when there are clusters), "
    "or of the whole population when there are no strata.",
)
@click.option(
    "--rake",
    multiple=True,
    metavar="COL=MARGINS.csv",
    help="Rake the weights to a margin (level,total).",
)
@click.option(
    "--poststratify", metavar="COL=MARGINS.csv", help="Post-stratify the weights to a margin."
)
@click.option(
    "--mean", "means", multiple=True, metavar="VAR", help="Weighted mean of a numeric column."
)
@click.option(
    "--total", "totals", multiple=True, metavar="VAR", help="Weighted total of a numeric column."
)
@click.option(
    "--proportion", "proportions", multiple=True, metavar="VAR", help="Share of each answer."
)
@click.option(
    "--index",
    "indices",
    multiple=True,
    metavar="VAR=LOW-HIGH",
    help="A 0-100 index of a rating scale (e.g. satisfaction=1-5: 1 is 0, 5 is 100).",
)
@click.option(
    "--crosstab",
    "crosstabs",
    multiple=True,
    metavar="ROW,COL",
    help="Weighted shares of two answers and Rao-Scott's test of their independence.",
)
@click.option("--by", help="Column of domains (district, age group): one estimate each.")
@click.option(
    "--min-cell",
    default=0,
    type=click.IntRange(0),
    help="Withhold any estimate made from fewer responses than this (disclosure control).",
)
@click.option(
    "--series",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the estimate for the city and each --by domain as an indicator series "
    "(place,period,estimate,se,ci_low,ci_high,n) for `cityhub indicators load`.",
)
@click.option("--period", help="The period the series' values are for (2026, 2026-Q2).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_line_errors
def estimate(
    data: Path,
    weight: str,
    strata: str | None,
    cluster: str | None,
    fpc: str | None,
    rake: tuple[str, ...],
    poststratify: str | None,
    means: tuple[str, ...],
    totals: tuple[str, ...],
    proportions: tuple[str, ...],
    by: str | None,
    as_json: bool,
    indices: tuple[str, ...] = (),
    crosstabs: tuple[str, ...] = (),
    min_cell: int = 0,
    series: Path | None = None,
    period: str | None = None,
) -> None:
    """Design-based means, totals and proportions of DATA.csv with linearised standard errors,
    95% t intervals (degrees of freedom: PSUs minus strata) and design effects, as R's survey
    package computes them. Empty cells are missing and leave that response out of that
    estimate only."""
    from cityhub.survey.calibrate import margin
    from cityhub.survey.calibrate import poststratify as post
    from cityhub.survey.calibrate import rake as rake_weights
    from cityhub.survey.crosstab import crosstab
    from cityhub.survey.design import make_design
    from cityhub.survey.estimate import Estimate, numbers
    from cityhub.survey.estimate import estimate as run
    from cityhub.survey.scale import rescale

    if not (means or totals or proportions or indices or crosstabs):
        raise BadRequestData(
            "ask for at least one --mean, --total, --proportion, --index or --crosstab"
        )
    columns, table = _read(data)

    def column(name: str | None, option: str) -> list[str] | None:
        if name is None:
            return None
        if name not in table:
            raise BadRequestData(
                f"{option} {name!r}: no such column (columns: {', '.join(columns)})"
            )
        return table[name]

    weights = numbers(column(weight, "--weight") or [], weight)
    if any(w != w for w in weights):
        raise BadRequestData(f"column {weight!r}: every response needs a weight")
    population = numbers(column(fpc, "--fpc") or [], fpc) if fpc else None
    design = make_design(
        weights, column(strata, "--strata"), column(cluster, "--cluster"), population
    )
    specs = [("--rake", s) for s in rake] + (
        [("--poststratify", poststratify)] if poststratify else []
    )
    margins = []
    for option, spec in specs:
        name, levels = _margins_file(spec, option)
        margins.append(margin(name, column(name, option) or [], levels))
    rounds = 0
    if len(margins) == 1:
        design = design.with_weights(post(design.weights, margins[0]))
    elif margins:
        raked, rounds = rake_weights(design.weights, margins)
        design = design.with_weights(raked)

    def estimates(domains: list[str] | None) -> list[Estimate]:
        out: list[Estimate] = []
        for statistic, names in (("mean", means), ("total", totals), ("proportion", proportions)):
            for name in names:
                raw = column(name, f"--{statistic}") or []
                if statistic == "proportion":
                    answers = [v.strip() for v in raw]
                    out += run(design, name, weights, statistic, domains, margins, answers)
                else:
                    out += run(design, name, numbers(raw, name), statistic, domains, margins)
        for spec in indices:
            name, low, high = _scale(spec)
            values = numbers(column(name, "--index") or [], name)
            outside = values[(values < low) | (values > high)]
            if outside.size:
                raise BadRequestData(f"--index {name}: {outside[0]:g} is outside the scale {spec}")
            out += [
                rescale(e, low, high) for e in run(design, name, values, "mean", domains, margins)
            ]
        return [e.suppress_below(min_cell) for e in out]

    found = estimates(column(by, "--by"))
    if series is not None:
        if len(means) + len(totals) + len(indices) != 1 or proportions:
            raise BadRequestData("--series writes one --mean, --total or --index at a time")
        if not period:
            raise BadRequestData("--series needs the --period its values are for")
        city = estimates(None) if by else []
        _write_series(series, period, city + found)
    tables = []
    for spec in crosstabs:
        row, _, col = spec.partition(",")
        if not row or not col:
            raise BadRequestData(f"--crosstab takes ROW,COL, not {spec!r}")
        row_values = [v.strip() for v in column(row, "--crosstab") or []]
        col_values = [v.strip() for v in column(col, "--crosstab") or []]
        table_ = crosstab(design, row_values, col_values, margins)
        tables.append((row, col, table_.suppress_below(min_cell)))
    if as_json:
        import orjson

        body: dict[str, Any] = {"estimates": [e.as_dict() for e in found]}
        if tables:
            body["crosstabs"] = [{"row": r, "column": c, **t.as_dict()} for r, c, t in tables]
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    _table(found, design, rounds, margins)
    for row, col, tab in tables:
        _crosstab_table(row, col, tab)


def _table(found: list[Any], design: Any, rounds: int, margins: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    grid = Table(
        title=f"{design.size:,} responses, {design.psu_stratum.shape[0]:,} PSUs in "
        f"{design.psu_count.shape[0]} strata (df {design.degrees_of_freedom})"
    )
    for name in ("variable", "statistic", "by", "estimate", "SE", "95% CI", "deff", "n"):
        grid.add_column(
            name, justify="left" if name in ("variable", "statistic", "by") else "right"
        )
    for e in found:
        what = f"{e.variable}={e.level}" if e.level is not None else e.variable
        deff = "" if e.deff is None else f"{e.deff:.2f}"
        if e.suppressed:
            grid.add_row(what, e.statistic, e.by or "", "(fewer than --min-cell)", "", "", "", "")
            continue
        grid.add_row(
            what, e.statistic, e.by or "", f"{e.estimate:.6g}", f"{e.se:.4g}",
            f"{e.ci_low:.6g} – {e.ci_high:.6g}", deff, f"{e.n:,}",
        )  # fmt: skip
    console = Console()
    console.print(grid)
    if margins:
        how = f"raked in {rounds} rounds" if rounds else "post-stratified"
        console.print(f"weights {how} to {', '.join(m.name for m in margins)}", highlight=False)


def _crosstab_table(row: str, col: str, t: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    grid = Table(title=f"{row} × {col}: weighted shares (SE), {t.n:,} responses")
    grid.add_column(row)
    for name in t.columns:
        grid.add_column(name, justify="right")
    for i, name in enumerate(t.rows):
        cells = [
            "–" if t.shares[i, j] != t.shares[i, j] else f"{t.shares[i, j]:.1%} ({t.se[i, j]:.1%})"
            for j in range(len(t.columns))
        ]
        grid.add_row(name, *cells)
    console = Console()
    console.print(grid)
    console.print(
        f"Rao-Scott F = {t.f:.4g} on {t.df_num:.2f} and {t.df_den:.1f} df, p = {t.p_value:.4g} "
        f"(Pearson X² = {t.pearson:.4g} before the design correction)",
        highlight=False,
    )


@survey.command("form")
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the questions as JSON.")
@one_line_errors
def show_form(form: Path, as_json: bool) -> None:
    """Read an XLSForm (survey, choices and settings sheets) and list its questions, their
    types, choices and logic; a form with an error is refused with the row or question."""
    from cityhub.survey.form import read_form

    parsed = read_form(form)
    if as_json:
        import orjson

        body = {
            "form_id": parsed.form_id, "version": parsed.version, "title": parsed.title,
            "questions": [
                {"name": q.name, "type": q.kind, "label": q.labels, "choices": list(q.choices),
                 "required": q.required is not None, "relevant": q.relevant is not None,
                 "constraint": q.constraint is not None}
                for q in parsed.questions
            ],
            "warnings": list(parsed.warnings),
        }  # fmt: skip
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"{parsed.title} ({parsed.form_id}, version {parsed.version or '-'})")
    for q in parsed.questions:
        logic = [w for w, n in (("required", q.required), ("skip logic", q.relevant),
                                ("constraint", q.constraint)) if n is not None]  # fmt: skip
        label = q.labels.get(parsed.language) or next(iter(q.labels.values()), "")
        extra = f" [{', '.join(q.choices)}]" if q.choices else ""
        click.echo(f"  {q.name}  {q.kind}{extra}  {label}  {' · '.join(logic)}".rstrip())
    for warning in parsed.warnings:
        click.echo(f"warning: {warning}", err=True)


@survey.command("check")
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", default="zh", show_default=True, help="Language of the form's messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@one_line_errors
def check(form: Path, responses: Path, lang: str, as_json: bool) -> None:
    """Check a CSV of responses (one column per question) against the form's skip logic,
    required questions, types, choices and constraints, as the server checks a submission.
    Exits 1 when any response has a problem."""
    import sys

    from cityhub.survey.form import check_response, read_form

    parsed = read_form(form)
    _, table = _read(responses)
    names = list(table)
    rows = len(next(iter(table.values()), []))
    found: list[dict[str, Any]] = []
    for i in range(rows):
        answers = {name: table[name][i] for name in names if table[name][i].strip()}
        found += [{"row": i + 2, **p.as_dict()} for p in check_response(parsed, answers, lang)]
    if as_json:
        import orjson

        click.echo(orjson.dumps({"responses": rows, "problems": found}).decode())
    else:
        for problem in found:
            click.echo(f"row {problem['row']}: {problem['question']} {problem['message']}")
        bad = len({problem["row"] for problem in found})
        click.echo(f"{rows} responses, {bad} with problems", err=True)
    if found:
        sys.exit(1)


@survey.command("sample")
@click.argument("frame", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strata", required=True, help="Column of the frame naming each unit's stratum.")
@click.option("--size", required=True, type=click.IntRange(1), help="Responses to draw in all.")
@click.option(
    "--neyman",
    metavar="COL",
    help="Allocate by N_h times the standard deviation of this numeric column in each stratum "
    "(Neyman); default: proportional to N_h.",
)
@click.option(
    "--seed", required=True, type=int, help="Seed of the draw (the same seed, the same sample)."
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV to write."
)
@one_line_errors
def sample(frame: Path, strata: str, size: int, neyman: str | None, seed: int, out: Path) -> None:
    """Draw a stratified simple random sample from FRAME.csv (a register of people or
    addresses) and write it with `_weight` (N_h / n_h) and `_population` (N_h) columns, ready
    for `survey estimate --weight _weight --strata … --fpc _population`."""
    from collections import Counter

    from cityhub.survey.estimate import numbers
    from cityhub.survey.sampling import allocate, draw, stratum_sd

    columns, table = _read(frame)
    for name in (strata, neyman):
        if name is not None and name not in table:
            raise BadRequestData(f"no column {name!r} (columns: {', '.join(columns)})")
    labels = [v.strip() for v in table[strata]]
    if any(not v for v in labels):
        raise BadRequestData(f"row {labels.index('') + 2}: column {strata!r} is empty")
    counts = Counter(labels)
    names = sorted(counts)
    spread = None
    if neyman:
        values = numbers(table[neyman], neyman)
        spread = [
            stratum_sd([v for v, h in zip(values, labels, strict=True) if h == name])
            for name in names
        ]
    sizes = dict(zip(names, allocate([counts[h] for h in names], size, spread), strict=True))
    rows = draw(labels, sizes, seed)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, "_weight", "_population"])
        for i in rows:
            h = labels[i]
            writer.writerow(
                [table[c][i] for c in columns] + [f"{counts[h] / sizes[h]:.10g}", counts[h]]
            )
    for h in names:
        click.echo(f"{h}\t{counts[h]:,} in the frame\t{sizes[h]:,} drawn")
    click.echo(f"{len(rows):,} drawn from {sum(counts.values()):,} into {out}", err=True)


@survey.command("export")
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write: .sav (SPSS), .dta (Stata), .xlsx or .csv.")  # fmt: skip
@click.option("--lang", default="zh", show_default=True, help="Language of the labels.")
@click.option("--keep-text", is_flag=True, help="Keep free-text answers unmasked (your own data).")
@one_line_errors
def export(form: Path, responses: Path, out: Path, lang: str, keep_text: bool) -> None:
    """Write RESPONSES.csv for analysts with the form's question labels and value labels:
    single choices as labelled codes, multiple choices as 0/1 columns; free text masked."""
    from cityhub.survey.export import write
    from cityhub.survey.form import read_form

    parsed = read_form(form)
    _, table = _read(responses)
    count = len(next(iter(table.values()), []))
    rows = [{name: table[name][i] for name in table} for i in range(count)]
    kind = write(parsed, rows, out, lang, keep_text)
    click.echo(f"{count:,} responses written to {out} ({kind})", err=True)


@survey.command("budget")
@click.argument("projects", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("budgets", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("ballots", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_line_errors
def budget(projects: Path, budgets: Path, ballots: Path, as_json: bool) -> None:
    """Count a participatory budget: PROJECTS.csv (id,title,district,cost), BUDGETS.csv
    (district,budget) and BALLOTS.csv (voter,projects with the approved ids separated by
    spaces). Projects are funded in order of approvals while they fit in their district's
    budget; invalid and duplicate ballots are set aside and counted."""
    from cityhub.survey.budgeting import Project, count

    def number(text: str, where: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise BadRequestData(f"{where}: {text!r} is not a number") from None
        if value < 0:
            raise BadRequestData(f"{where}: {text!r} is negative")
        return value

    def rows(path: Path, needed: set[str]) -> list[dict[str, str]]:
        _, table = _read(path)
        if not needed <= set(table):
            raise BadRequestData(f"{path.name}: needs the columns {', '.join(sorted(needed))}")
        size = len(next(iter(table.values()), []))
        return [{k: table[k][i].strip() for k in table} for i in range(size)]

    listed = [
        Project(r["id"], r["title"], r["district"], number(r["cost"], f"{projects.name} row {i}"))
        for i, r in enumerate(rows(projects, {"id", "title", "district", "cost"}), start=2)
    ]
    money = {
        r["district"]: number(r["budget"], f"{budgets.name} row {i}")
        for i, r in enumerate(rows(budgets, {"district", "budget"}), start=2)
    }
    votes = [(r["voter"], r["projects"].split()) for r in rows(ballots, {"voter", "projects"})]
    result = count(listed, money, votes)
    if as_json:
        import orjson

        body = {
            "valid": result.valid,
            "invalid": result.invalid,
            "districts": [
                {"district": d.district, "budget": d.budget, "spent": d.spent, "left": d.left,
                 "funded": [{"id": p.id, "title": p.title, "cost": p.cost, "approvals": v}
                            for p, v in d.chosen],
                 "passed_over": [{"id": p.id, "cost": p.cost, "approvals": v}
                                 for p, v in d.passed_over]}
                for d in result.districts.values()
            ],
        }  # fmt: skip
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"{result.valid:,} valid ballots; set aside: {sum(result.invalid.values()):,}")
    for reason, n in sorted(result.invalid.items()):
        click.echo(f"  {n:,} × {reason}")
    for d in result.districts.values():
        click.echo(f"{d.district}: {d.spent:,.0f} of {d.budget:,.0f} funded, {d.left:,.0f} left")
        for p, v in d.chosen:
            click.echo(f"  ✓ {p.id} {p.title}  {p.cost:,.0f}  {v:,} approvals")
        for p, v in d.passed_over:
            click.echo(f"  – {p.id} {p.title}  {p.cost:,.0f}  {v:,} approvals (does not fit)")


def _write_series(path: Path, period: str, found: list[Any]) -> None:
    """The estimates as an indicator series: the whole population is the place "city"."""
    from cityhub.indicators.periods import parse_period

    parse_period(period)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["place", "period", "estimate", "se", "ci_low", "ci_high", "n"])
        for e in found:
            if e.suppressed:
                continue  # withheld figures are not published as an indicator either
            writer.writerow(
                [e.by or "city", period, f"{e.estimate:.10g}", f"{e.se:.10g}",
                 f"{e.ci_low:.10g}", f"{e.ci_high:.10g}", e.n]
            )  # fmt: skip
