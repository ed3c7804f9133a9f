"""The heavy analyses as plain functions of plain data, so they can run in a worker process:
each takes rows or a series and returns JSON-ready data (and the report page where there is
one). Nothing here touches the store."""

from __future__ import annotations

from typing import Any

from cityhub.indicators.periods import Period


def its(
    rows: list[dict[str, Any]], time_col: str, value_col: str, interruption: str, season: int
) -> tuple[dict[str, Any], str]:
    from cityhub.indicators.its import interrupted_time_series, series_from_rows
    from cityhub.indicators.report import its_report

    periods, values, start = series_from_rows(rows, time_col, value_col, interruption)
    result = interrupted_time_series(values, start, season)
    return result.as_dict(), its_report(result, periods, values, value_col)


def did(
    rows: list[dict[str, Any]], names: dict[str, str], control: str, bootstrap: int
) -> tuple[dict[str, Any], str]:
    from cityhub.indicators.did import balanced_panel, callaway_santanna
    from cityhub.indicators.report import did_report

    panel = balanced_panel(rows, names["unit"], names["time"], names["outcome"], names["group"])
    result = callaway_santanna(panel, control, bootstrap)
    return result.as_dict(), did_report(result, names["outcome"])


def synth(
    rows: list[dict[str, Any]],
    unit: str,
    time_col: str,
    outcome: str,
    treated: str,
    treatment: int,
    predictors: list[tuple[str, tuple[int, ...]]],
    optimize: tuple[int, ...],
    donors: list[str] | None,
    placebos: bool,
) -> tuple[dict[str, Any], str]:
    from cityhub.indicators.report import synth_report
    from cityhub.indicators.synth import Predictor, SynthPanel, synthetic_control

    panel = SynthPanel(rows, unit, time_col)
    result = synthetic_control(
        panel,
        outcome,
        treated,
        treatment,
        [Predictor(v, p) for v, p in predictors],
        optimize,
        donors,
        placebos,
    )
    return result.as_dict(), synth_report(result, outcome)


def forecast(
    values: list[float], periods: list[Period], horizon: int, level: float
) -> dict[str, Any]:
    from cityhub.indicators.forecast import forecast_series

    return forecast_series(values, periods, horizon, level).as_dict()


def warm() -> None:
    """Import what the analyses need, so a worker's first real task starts at once."""
    import cityhub.indicators.did
    import cityhub.indicators.forecast
    import cityhub.indicators.its
    import cityhub.indicators.report
    import cityhub.indicators.synth  # noqa: F401
