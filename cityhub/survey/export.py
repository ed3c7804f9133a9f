"""Responses as analysts' files: SPSS `.sav` and Stata `.dta` with variable and value labels
from the form, and XLSX or CSV. A single-choice answer becomes its code with the choice's
label; a multiple-choice answer becomes one 0/1 column per choice. Free-text answers are
masked (phone numbers, ID numbers, addresses) unless the caller owns the data and asks to keep
them, because microdata leave the platform in these files."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cityhub.errors import BadRequestData
from cityhub.survey.form import Form, Question

FORMATS = ("sav", "dta", "xlsx", "csv")
_NAME = re.compile(r"[^A-Za-z0-9_]")


def variable_name(name: str) -> str:
    """A name SPSS and Stata both accept: letters, digits and _, 32 at most, not a digit first."""
    clean = _NAME.sub("_", name)[:32]
    return clean if clean and not clean[0].isdigit() else f"v_{clean}"[:32]


def _codes(q: Question) -> dict[str, int]:
    if all(re.fullmatch(r"-?\d+", c) for c in q.choices):
        return {c: int(c) for c in q.choices}  # a scale keeps its own numbers
    return {c: i for i, c in enumerate(q.choices, start=1)}


def labelled_table(
    form: Form, rows: Sequence[Mapping[str, str]], lang: str, keep_text: bool = False
) -> tuple[Any, dict[str, str], dict[str, dict[int | float, str]]]:
    """A data frame, the variables' labels and the value labels."""
    import pandas as pd

    from cityhub.catalog.mask import mask_text

    columns: dict[str, list[Any]] = {}
    labels: dict[str, str] = {}
    values: dict[str, dict[int | float, str]] = {}

    def label(texts: Mapping[str, str], fallback: str) -> str:
        return texts.get(lang) or next(iter(texts.values()), fallback)

    for q in form.questions:
        if q.kind == "note":
            continue
        name = variable_name(q.name)
        answers = [str(r.get(q.name, "") or "").strip() for r in rows]
        if q.kind == "select_one":
            codes = _codes(q)
            columns[name] = [codes.get(a) if a else None for a in answers]
            values[name] = {codes[c]: label(q.choice_labels.get(c, {}), c) for c in q.choices}
            labels[name] = label(q.labels, q.name)
        elif q.kind == "select_multiple":
            for choice in q.choices:
                column = variable_name(f"{q.name}_{choice}")
                columns[column] = [
                    (1 if choice in a.split() else 0) if a else None for a in answers
                ]
                values[column] = {0: "no", 1: "yes"} if lang == "en" else {0: "否", 1: "是"}
                labels[column] = (
                    f"{label(q.labels, q.name)}: {label(q.choice_labels.get(choice, {}), choice)}"
                )
        elif q.kind in ("integer", "decimal"):
            columns[name] = [float(a) if a else None for a in answers]
            labels[name] = label(q.labels, q.name)
        else:
            text = answers if keep_text or q.kind != "text" else [mask_text(a) for a in answers]
            columns[name] = text
            labels[name] = label(q.labels, q.name)
    return pd.DataFrame(columns), labels, values


def write(
    form: Form,
    rows: Sequence[Mapping[str, str]],
    path: Path,
    lang: str = "zh",
    keep_text: bool = False,
) -> str:
    """Write the responses to `path`; the format comes from its suffix. Returns the format."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise BadRequestData(f"{path.name}: write .sav, .dta, .xlsx or .csv")
    frame, labels, values = labelled_table(form, rows, lang, keep_text)
    if kind in ("sav", "dta"):
        import pyreadstat

        title = form.title[:80]
        names: dict[str, str | None] = dict(labels)
        if kind == "sav":
            pyreadstat.write_sav(frame, str(path), file_label=title, column_labels=names,
                                 variable_value_labels=values)  # fmt: skip
        else:
            pyreadstat.write_dta(frame, str(path), file_label=title, column_labels=names,
                                 variable_value_labels=values, version=15)  # fmt: skip
    elif kind == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")
    return kind
