"""Surveys: only departments publish forms; anyone answers an open survey but reads no
responses; the collecting department reads them whole, other departments with free text
masked."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.security.conftest import City
from tests.test_survey_api import XLSX, _version
from tests.test_survey_forms import GOOD, QUESTIONS, workbook


def test_only_departments_publish_and_others_read_free_text_masked(
    city: City, tmp_path: Path
) -> None:
    path = _version(workbook(tmp_path / "form.xlsx", QUESTIONS), "2026120399")
    with httpx.Client(base_url=city.base) as anonymous:
        assert anonymous.post("/survey/v1/forms", content=path.read_bytes(),
                              headers={"Content-Type": XLSX}).status_code == 401  # fmt: skip
    with city.client("public") as citizen:
        assert citizen.post("/survey/v1/forms", content=path.read_bytes(),
                            headers={"Content-Type": XLSX}).status_code == 403  # fmt: skip
    with city.client("env_staff") as owner:
        made = owner.post(
            "/survey/v1/forms", content=path.read_bytes(), headers={"Content-Type": XLSX}
        )
        assert made.status_code == 201 and made.json()["department"] == "environment"
    url = "/survey/v1/forms/sz_satisfaction_2026/responses"
    answers = {**GOOD, "satisfaction": "1", "why": "排队太久，我的电话13912345678"}
    with httpx.Client(base_url=city.base) as anonymous:  # anyone answers an open survey
        assert anonymous.post(url, json={"answers": answers}).status_code == 201
        assert anonymous.get(url).status_code == 401  # but reads no responses
    with city.client("env_staff") as owner:
        assert "13912345678" in owner.get(url).json()["responses"][-1]["answers"]["why"]
    with city.client("tr_staff") as other:
        page = other.get(url).json()
        assert page["masked"] and "13912345678" not in page["responses"][-1]["answers"]["why"]
