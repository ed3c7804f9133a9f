"""The survey collection page in headless Chromium on a phone-sized screen: it renders the
form in Chinese or English, shows a question only when the skip logic allows, says what is
wrong as answers are typed (the same checks the server makes), keeps a half-filled response
across a reload, and submits it; nothing is fetched from another host."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import launch
from tests.conftest import Server
from tests.test_survey_api import XLSX
from tests.test_survey_forms import QUESTIONS, workbook

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


@pytest.fixture(scope="module")
def published(server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = workbook(tmp_path_factory.mktemp("form") / "form.xlsx", QUESTIONS)
    made = httpx.post(
        server.base + "/survey/v1/forms", content=path.read_bytes(),
        headers={"Content-Type": XLSX}, timeout=30,
    )  # fmt: skip
    assert made.status_code in (201, 409), made.text
    return server.base + "/survey/sz_satisfaction_2026"


def _page(browser: Browser, base: str) -> tuple[Page, list[str], list[str]]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    origin = base.split("/survey/")[0]
    page.on(
        "request", lambda r: None if r.url.startswith((origin, "data:")) else outside.append(r.url)
    )
    return page, errors, outside


def test_the_page_applies_the_forms_logic_resumes_and_submits(
    browser: Browser, published: str, server: Server
) -> None:
    page, errors, outside = _page(browser, published)
    started = time.perf_counter()
    page.goto(published)
    page.wait_for_selector("body[data-ready=true]", timeout=10_000)
    interactive = time.perf_counter() - started
    expect(page.locator("#title")).to_have_text("2026年深圳市民公共服务满意度调查")
    why = page.locator("[data-question=why]")
    expect(why).to_be_hidden()  # shown only for a low satisfaction
    page.check("input[name=district][value=futian]")
    page.fill("input[name=age]", "12")
    expect(page.locator("[data-error=age]")).to_have_text("年龄应在16到119岁之间")
    page.fill("input[name=age]", "35")
    expect(page.locator("[data-error=age]")).to_have_text("")
    page.check("input[name=satisfaction][value='1']")
    expect(why).to_be_visible()
    page.check("input[name=services][value=clinic]")
    phone = page.locator("[data-question=phone]")
    expect(phone).to_be_visible()
    page.fill("[name=phone]", "12345")
    expect(page.locator("[data-error=phone]")).to_have_text("请填写11位手机号")
    page.fill("[name=phone]", "13912345678")
    # a reload keeps what was answered
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#intro")).to_contain_text("已恢复")
    expect(page.locator("input[name=age]")).to_have_value("35")
    expect(why).to_be_visible()
    page.click("button.submit")  # "why" is required and empty: not sent
    expect(page.locator("[data-error=why]")).to_have_text("请回答此题")
    page.fill("[name=why]", "排队太久")
    page.click("button.submit")
    expect(page.locator("#status")).to_contain_text("已提交", timeout=5_000)
    stored = httpx.get(server.base + "/survey/v1/forms/sz_satisfaction_2026/responses").json()
    last = stored["responses"][-1]["answers"]
    assert last["why"] == "排队太久" and last["age"] == "35" and last["services"] == "clinic"
    # English
    page.goto(published)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#intro")).to_have_text("")  # the sent response is no longer a draft
    page.click("#lang")
    expect(page.locator("[data-question=age] label.title")).to_contain_text("Age")
    page.fill("input[name=age]", "200")
    expect(page.locator("[data-error=age]")).to_have_text("age must be 16 to 119")
    artifacts = Path(os.environ.get("CITYHUB_ARTIFACTS", "build/artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "survey-page.png"))
    (artifacts / "survey-page-load.json").write_text(json.dumps({"interactive_s": interactive}))
    assert errors == [] and outside == []
