"""Publishing a survey's results: a catalog dataset of the estimates (aggregates only, with
small cells withheld; never a response or a free-text answer), open to all once the form's
data steward publishes it; the index as an indicator series per place that Goals can target
(survey → indicator → goal); and, when asked, the microdata (closed answers with their design,
no free text) as a conditional dataset that analysts apply for."""

from __future__ import annotations

import csv
import math
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cityhub.auth.principal import Principal
from cityhub.errors import BadRequestData
from cityhub.store.survey_sql import StoredResponse
from cityhub.survey.estimate import Estimate
from cityhub.survey.form import Form

if TYPE_CHECKING:
    from cityhub.hub import Hub

COLUMNS = ["variable", "statistic", "domain", "estimate", "se", "ci_low", "ci_high", "deff",
           "respondents", "suppressed"]  # fmt: skip


def dataset_name(form_id: str) -> str:
    return ("survey-" + re.sub(r"[^a-z0-9_-]+", "-", form_id.lower())).strip("-")[:100]


def _figure(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.6g}"


def write_csv(path: Path, estimates: list[Estimate]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for e in estimates:
            writer.writerow(
                [e.variable, e.statistic, e.by or "全市", _figure(e.estimate), _figure(e.se),
                 _figure(e.ci_low), _figure(e.ci_high), _figure(e.deff),
                 "" if e.suppressed else e.n, "true" if e.suppressed else "false"]
            )  # fmt: skip
    return path


def _ensure_dataset(
    hub: Hub, reader: Principal, name: str, department: str, title: str, title_en: str,
    description: str, licence: str,
) -> None:  # fmt: skip
    """The survey's dataset in the catalog, described once (later calls add versions)."""
    if hub.store.catalog.find_dataset(name) is not None:
        return
    hub.catalog.create(
        reader,
        {
            "name": name, "org": department, "title": title, "title_en": title_en,
            "description": description, "themes": ["政务"], "keywords": ["问卷调查"],
            "frequency": "irregular", "license": licence,
        },
    )  # fmt: skip


def publish(
    hub: Hub,
    reader: Principal,
    form_id: str,
    title: str,
    department: str,
    estimates: list[Estimate],
    period: str | None,
    indicator: str | None,
) -> dict[str, Any]:
    """Write the results dataset (a new version each time) and the indicator series."""
    name = dataset_name(form_id)
    _ensure_dataset(
        hub, reader, name, department, f"{title}（结果）", f"{form_id} (results)",
        "加权估计（设计权重、无回答调整），含95%置信区间；少于最小单元人数的格子不公布数值。",
        "cc-by-4.0",
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        version = hub.catalog.add_file(
            reader, name, write_csv(Path(tmp) / f"{name}.csv", estimates)
        )
    hub.catalog.classify(
        reader, name, {"share_type": "unconditional", "open_type": "open", "level": 1}
    )
    out: dict[str, Any] = {"dataset": name, "version": version.version, "rows": len(estimates)}
    if indicator and period:
        out["indicator"] = _series(hub, indicator, period, estimates)
    return out


def publish_microdata(
    hub: Hub,
    reader: Principal,
    form: Form,
    title: str,
    department: str,
    responses: list[StoredResponse],
) -> dict[str, Any]:
    """The responses that count as a conditional dataset for analysts who apply for it: one
    row per response with its stratum and design weight and every closed answer; free-text
    answers are left out, whoever reads it."""
    name = dataset_name(form.form_id) + "-microdata"
    closed = [q.name for q in form.questions if q.kind not in ("text", "note", "geopoint")]
    _ensure_dataset(
        hub, reader, name, department, f"{title}（个体数据）", f"{form.form_id} (microdata)",
        "每份有效回答一行：抽样层、设计权重与各封闭式题目的回答；不含开放题文字与位置。"
        "申请并经批准后用于统计分析。",
        "gov-restricted",
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["stratum", "weight", *closed])
            for r in responses:
                if r.flags:
                    continue
                writer.writerow(
                    [r.stratum or "", "" if r.weight is None else f"{r.weight:.10g}",
                     *(r.answers.get(q, "") for q in closed)]
                )  # fmt: skip
        version = hub.catalog.add_file(reader, name, path)
    hub.catalog.classify(
        reader,
        name,
        {"share_type": "conditional", "open_type": "restricted",
         "share_conditions": "仅限统计分析；不得尝试识别受访者"},
    )  # fmt: skip
    return {"dataset": name, "version": version.version}


def _series(hub: Hub, ident: str, period: str, estimates: list[Estimate]) -> dict[str, Any]:
    from cityhub.indicators.periods import parse_period

    definition = hub.indicators.definition(ident)
    if definition.kind != "series":
        raise BadRequestData(f"{ident} is computed from platform data, not a published series")
    span = parse_period(period)
    at_us = span.bounds_us(hub.settings.timezone)[0]
    points = [
        (e.by or "city", at_us, e.estimate)
        for e in estimates
        if e.variable == "index" and not e.suppressed
    ]
    if not points:
        raise BadRequestData("no index estimate has enough respondents to publish")
    series = str(definition.compute.get("series", definition.id))
    hub.store.indicators.put_series(series, points, replace=False)
    written = hub.indicators.compute([ident], span.first, span.last)
    judged = hub.indicators.assess([ident], publish=True)  # the goal's standing follows
    return {
        "id": ident,
        "period": period,
        "places": len(points),
        "values": sum(written.values()),
        "standings": [{"place": x.place, "status": x.status} for x in judged],
    }
