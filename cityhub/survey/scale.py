"""Indices from rating scales: a mean on a LOW–HIGH scale shown as 0–100 (LOW is 0, HIGH is
100), with its interval and standard error carried through the same linear map."""

from __future__ import annotations

from dataclasses import replace

from cityhub.survey.estimate import Estimate


def rescale(e: Estimate, low: float, high: float) -> Estimate:
    """A mean estimate as a 0–100 index; the design effect does not change."""
    factor = 100.0 / (high - low)
    return replace(
        e,
        statistic="index",
        estimate=(e.estimate - low) * factor,
        se=e.se * factor,
        ci_low=(e.ci_low - low) * factor,
        ci_high=(e.ci_high - low) * factor,
    )
