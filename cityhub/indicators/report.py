"""Plain-language summaries and self-contained HTML reports for policy evaluations.

Each summary states the estimate, its uncertainty, what it assumes and what would break it, in
Chinese and English, so a reader who does not know the method can still judge the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from cityhub.charts import line_chart
from cityhub.indicators.did import DidResult
from cityhub.indicators.its import ItsResult
from cityhub.indicators.synth import SynthResult


def _significance(p: float | None) -> tuple[str, str]:
    if p is None:
        return "未做显著性检验", "no significance test was run"
    if p < 0.05:
        return f"统计上显著（p={p:.3f}）", f"statistically significant (p={p:.3f})"
    return (
        f"统计上不显著（p={p:.3f}），不能排除偶然",
        f"not significant (p={p:.3f}); chance cannot be ruled out",
    )


def summarize_its(result: ItsResult, periods: Sequence[str]) -> list[tuple[str, str]]:
    level = result.coefficients["level_change"]
    slope = result.coefficients["slope_change"]
    zh_l, en_l = _significance(result.p_value("level_change"))
    zh_s, en_s = _significance(result.p_value("slope_change"))
    start = periods[result.pre_periods]
    return [
        (
            f"自 {start} 起，指标水平变化 {level:+.3f}，{zh_l}；"
            f"趋势每期变化 {slope:+.4f}，{zh_s}。",
            f"From {start} the level changed by {level:+.3f}, {en_l}; the trend changed by "
            f"{slope:+.4f} per period, {en_s}.",
        ),
        (
            "假设：若无该政策，干预前的线性趋势（及季节规律）会延续；同期没有其他影响该指标的变化。",
            "Assumes the pre-policy trend (and season) would have continued without the policy, "
            "and that nothing else that moves this indicator changed at the same time.",
        ),
        (
            f"误差按 Newey-West（滞后 {result.lags} 期）估计，已考虑序列相关；干预前仅 "
            f"{result.pre_periods} 期时结论应谨慎。",
            f"Standard errors are Newey-West with {result.lags} lags (serial correlation "
            f"allowed); with {result.pre_periods} pre-policy periods, read the result with care.",
        ),
    ]


def summarize_did(result: DidResult) -> list[tuple[str, str]]:
    group = result.aggregate["group"]
    se = result.se.get("group")
    pre = [v for (g, t), v in result.att.items() if t < g]
    largest_pre = max((abs(v) for v in pre), default=0.0)
    ci = f"[{group - 1.96 * se:+.4f}, {group + 1.96 * se:+.4f}]" if se else "-"
    control = "从未实施" if result.control == "never" else "尚未实施"
    return [
        (
            f"各批次平均处理效应（按批次规模加权）为 {group:+.4f}，95% 区间 {ci}。",
            f"The average effect across adoption cohorts (weighted by size) is {group:+.4f}, "
            f"95% interval {ci}.",
        ),
        (
            f"比较对象为{control}政策的单位；假设：若无政策，处理组与对照组的变化趋势平行。",
            f"Compared with {result.control}-treated units; assumes treated and comparison "
            "units would have followed parallel trends without the policy.",
        ),
        (
            f"平行趋势检验：政策前各期的安慰剂效应绝对值最大为 {largest_pre:.4f}"
            + ("，与零接近。" if largest_pre < abs(group) else "，不可忽视，结论需谨慎。"),
            f"Parallel-trends check: the largest pre-policy placebo effect is {largest_pre:.4f}"
            + (
                ", small next to the effect."
                if largest_pre < abs(group)
                else ", not negligible: be careful with the conclusion."
            ),
        ),
    ]


def summarize_synth(result: SynthResult) -> list[tuple[str, str]]:
    post = [
        g for p, g in zip(result.periods, result.gap(), strict=True) if p >= result.treatment_period
    ]
    mean_gap = sum(post) / len(post) if post else 0.0
    ranked = [
        f"{k} {v:.2f}"
        for k, v in sorted(result.weights.items(), key=lambda kv: -kv[1])
        if v >= 0.01
    ]
    donors, donors_en = "、".join(ranked), ", ".join(ranked)
    zh_p, en_p = _significance(result.p_value)
    return [
        (
            f"合成对照由 {donors} 组成；政策后实际值与合成值的平均差距为 {mean_gap:+.4f}，"
            f"{zh_p}（空间安慰剂检验）。",
            f"The synthetic control is {donors_en}; after the policy the actual value is "
            f"{mean_gap:+.4f} from its synthetic twin on average, {en_p} (placebos in space).",
        ),
        (
            f"政策前拟合误差 RMSPE {result.pre_rmspe:.4f}：越小，合成对照越可信。",
            f"Pre-policy fit RMSPE {result.pre_rmspe:.4f}: the smaller, the more credible the "
            "synthetic twin.",
        ),
        (
            "假设：对照单位未受该政策或类似冲击影响，且政策前的匹配在政策后仍成立。",
            "Assumes no donor was affected by the policy or a similar shock, and that the "
            "pre-policy match would have held afterwards.",
        ),
    ]


def report_html(
    title: str,
    summary: Sequence[tuple[str, str]],
    chart: str,
    table_head: Sequence[str],
    table_rows: Sequence[Sequence[Any]],
) -> str:
    points = "".join(
        f"<li>{escape(zh)}<br><span class=en>{escape(en)}</span></li>" for zh, en in summary
    )
    head = "".join(f"<th>{escape(h)}</th>" for h in table_head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in table_rows
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:1.5rem auto;
max-width:60rem;color:#1d2733}}.en{{color:#5b6b7b}}li{{margin:.5rem 0}}
table{{border-collapse:collapse;width:100%}}th,td{{border-bottom:1px solid #dde3ea;
padding:.25rem .4rem;text-align:right;font-size:.9rem}}th{{background:#eef2f6}}</style></head>
<body><h1>{escape(title)}</h1><ul>{points}</ul>{chart}
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>
"""


def its_report(
    result: ItsResult, periods: Sequence[str], values: Sequence[float], name: str
) -> str:
    chart = line_chart(
        list(periods),
        {
            "actual 实际": list(values),
            "fitted 拟合": result.fitted,
            "no policy 无政策": result.counterfactual,
        },
        f"{name}: interrupted time series",
        marker=result.pre_periods,
        x_title="period 时期 (dashed: the interruption 干预时点)",
        y_title=name,
    )
    rows = [
        [p, f"{v:.4f}", f"{f:.4f}", f"{c:.4f}"]
        for p, v, f, c in zip(periods, values, result.fitted, result.counterfactual, strict=True)
    ]
    return report_html(
        f"中断时间序列 Interrupted time series · {name}",
        summarize_its(result, periods),
        chart,
        ["period", "actual", "fitted", "no policy"],
        rows,
    )


def did_report(result: DidResult, name: str) -> str:
    events = sorted(
        (int(k.split(":")[1]), v) for k, v in result.aggregate.items() if k.startswith("event:")
    )
    chart = line_chart(
        [str(e) for e, _ in events],
        {
            "effect by years since adoption 按实施后年数": [v for _, v in events],
            "zero 零": [0.0] * len(events),
        },
        f"{name}: event study",
        marker=next((i for i, (e, _) in enumerate(events) if e == 0), None),
        x_title="years since adoption 实施后年数",
        y_title=f"effect on {name} 效应",
    )
    rows = [
        [g, t, f"{v:.4f}", f"{result.att_se.get((g, t), float('nan')):.4f}"]
        for (g, t), v in sorted(result.att.items())
    ]
    return report_html(
        f"双重差分 Difference-in-differences · {name}",
        summarize_did(result),
        chart,
        ["cohort g", "period t", "ATT(g,t)", "SE"],
        rows,
    )


def synth_report(result: SynthResult, name: str) -> str:
    labels = [str(p) for p in result.periods]
    chart = line_chart(
        labels,
        {f"{result.treated} 实际": result.actual, "synthetic 合成对照": result.synthetic},
        f"{name}: synthetic control",
        marker=next(
            (i for i, p in enumerate(result.periods) if p >= result.treatment_period), None
        ),
        x_title="period 时期 (dashed: the treatment 政策实施)",
        y_title=name,
    )
    rows = [
        [p, f"{a:.4f}", f"{s:.4f}", f"{a - s:.4f}"]
        for p, a, s in zip(result.periods, result.actual, result.synthetic, strict=True)
    ]
    return report_html(
        f"合成控制 Synthetic control · {name}",
        summarize_synth(result),
        chart,
        ["period", "actual", "synthetic", "gap"],
        rows,
    )
