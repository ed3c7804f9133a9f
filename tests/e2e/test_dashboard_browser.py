"""The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by Playwright): it loads
with no console error and no request leaving the server, draws every district, shows an NGSI-LD
change and a new Open311 request within 5 s, and switches language. Screenshots are written to
$CITYHUB_ARTIFACTS (default build/artifacts) with the page load time."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect

from cityhub.api.http import context_link
from cityhub.demo.catalog import publish_demo_datasets
from cityhub.demo.city import load_demo_city
from cityhub.demo.indicators import demo_file
from cityhub.jsonld import smart_data_models
from tests.browser import launch
from tests.conftest import Server

ARTIFACTS = Path(os.environ.get("CITYHUB_ARTIFACTS", "build/artifacts"))
VIEWPORT = {"width": 1366, "height": 768}
LIVE_WITHIN_MS = 5_000
SENSOR = "urn:ngsi-ld:AirQualityObserved:Shenzhen:00001"
# the demo writes air quality in Smart Data Models Environment terms; clients name pm25 in them
ENVIRONMENT = {"Link": context_link(smart_data_models.published_urls("Environment")[0])}


class Watched:
    """A page and everything it said or asked for."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.outside: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def request(self, request: Request) -> None:
        url = request.url
        if not (url.startswith(self.base + "/") or url.startswith("data:")):
            self.outside.append(url)


@pytest.fixture(scope="module")
def city(server: Server) -> Server:
    load_demo_city(server.hub.entities, server.hub.contexts.vocabulary, devices=30)
    publish_demo_datasets(server.hub)
    return server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


@pytest.fixture
def watched(browser: Browser, city: Server) -> Iterator[Watched]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    seen = Watched(page, city.base)
    page.on("console", seen.console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", seen.request)
    try:
        yield seen
    finally:
        context.close()


def _open(seen: Watched, path: str = "/") -> float:
    started = time.perf_counter()
    seen.page.goto(seen.base + path)
    seen.page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    return time.perf_counter() - started


def _shot(seen: Watched, name: str, backend: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}-{backend}.png"
    seen.page.screenshot(path=str(path))
    return path


def test_page_loads_clean_and_draws_every_district(watched: Watched, backend: str) -> None:
    seconds = _open(watched)
    page = watched.page
    page.wait_for_timeout(500)
    districts = httpx.get(watched.base + "/dashboard/v1/districts").json()["features"]
    drawn = page.locator("path.district")
    assert drawn.count() == len(districts) == 10
    labels = page.locator(".district-label").all_inner_texts()
    assert {"福田区", "南山区", "大鹏新区"} <= set(labels)
    assert int(page.get_attribute("body", "data-entities") or 0) >= 30
    page.wait_for_selector("#live-dot[data-state=live]", timeout=5_000)
    page.wait_for_selector("#queue, #panel-citizen .note", timeout=10_000)
    shot = _shot(watched, "overview", backend)
    timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON())")
    nav = json.loads(timing)
    (ARTIFACTS / f"dashboard-load-{backend}.json").write_text(
        json.dumps(
            {
                "ready_seconds": round(seconds, 3),
                "dom_content_loaded_ms": round(nav["domContentLoadedEventEnd"], 1),
                "load_event_ms": round(nav["loadEventEnd"], 1),
                "screenshot": shot.name,
            }
        ),
        encoding="utf-8",
    )
    assert watched.errors == []
    assert watched.outside == []


def test_a_value_changed_through_ngsi_ld_shows_within_5_s(watched: Watched, backend: str) -> None:
    _open(watched, f"/#entity={SENSOR}")
    page = watched.page
    page.wait_for_selector("#detail:not([hidden]) tr[data-attr=pm25]", timeout=10_000)
    page.wait_for_selector("#live-dot[data-state=live]", timeout=5_000)
    reply = httpx.patch(
        watched.base + f"/ngsi-ld/v1/entities/{SENSOR}/attrs",
        json={"pm25": {"type": "Property", "value": 66.6, "unitCode": "GQ"}},
        headers=ENVIRONMENT,
    )
    assert reply.status_code == 204, reply.text
    cell = page.locator("#detail-values tr[data-attr=pm25] td").nth(1)
    expect(cell).to_contain_text("66.6", timeout=LIVE_WITHIN_MS)
    expect(page.locator("#ticker")).to_contain_text("66.6", timeout=LIVE_WITHIN_MS)
    _shot(watched, "live-change", backend)
    assert watched.errors == [] and watched.outside == []


def _file_streetlight(base: str, text: str) -> str:
    """A streetlight request in Futian over Open311; its id."""
    reply = httpx.post(
        base + "/open311/v2/requests.json",
        data={
            "service_code": "streetlight",
            "description": text,
            "lat": "22.5431",
            "long": "114.0579",
        },
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()[0]["service_request_id"])


def test_an_open311_request_appears_in_the_queue(watched: Watched, backend: str) -> None:
    _open(watched)
    page = watched.page
    page.click("[data-tab=citizen]")
    page.wait_for_selector("#queue", timeout=10_000)
    page.wait_for_selector("#live-dot[data-state=live]", timeout=5_000)
    text = f"路灯不亮已经三天 {uuid.uuid4().hex[:6]}"
    request_id = _file_streetlight(watched.base, text)
    row = page.locator(f"#queue li[data-request='{request_id}']")
    expect(row).to_contain_text(text, timeout=LIVE_WITHIN_MS)
    expect(row).to_contain_text("福田区")
    _shot(watched, "queue", backend)
    assert watched.errors == [] and watched.outside == []


def test_language_switch_and_panels(watched: Watched, backend: str) -> None:
    _open(watched)
    page = watched.page
    assert page.inner_text("[data-tab=citizen]") == "市民诉求"
    page.click("#lang-button")
    assert page.inner_text("[data-tab=citizen]") == "Citizens"
    assert page.get_attribute("html", "lang") == "en"
    labels = page.locator(".district-label").all_text_contents()
    assert "Futian District" in labels and "Dapeng District" in labels
    page.click("[data-tab=catalog]")
    cards = page.locator(".dataset")
    expect(cards).to_have_count(4, timeout=10_000)
    conditional = page.locator(".dataset [data-share=conditional]")
    expect(conditional).to_have_count(1)
    expect(conditional).to_have_text("conditional sharing")
    page.fill("#catalog-search input", "PM2.5")
    page.click("#catalog-search button")
    expect(cards).to_have_count(1, timeout=5_000)
    page.click("[data-tab=goals]")
    page.wait_for_selector(".goal", timeout=15_000)
    _shot(watched, "english", backend)
    page.click("#lang-button")
    assert page.inner_text("[data-tab=citizen]") == "市民诉求"
    assert watched.errors == [] and watched.outside == []


def test_legend_units_time_axis_and_a_pasted_link(watched: Watched, backend: str) -> None:
    page = watched.page
    now = dt.datetime.now(dt.UTC)
    # history for the chart, ten minutes apart, one of them in the worst band
    for back, value in ((20, 12.0), (10, 48.5), (0, 130.2)):
        at = (now - dt.timedelta(minutes=back)).strftime("%Y-%m-%dT%H:%M:%SZ")
        reply = httpx.patch(
            watched.base + f"/ngsi-ld/v1/entities/{SENSOR}/attrs",
            json={"pm25": {"type": "Property", "value": value, "unitCode": "GQ", "observedAt": at}},
            headers=ENVIRONMENT,
        )
        assert reply.status_code == 204, reply.text
    _open(watched)
    air = page.locator("#legend .legend-type[data-type=AirQualityObserved]")
    expect(air).to_contain_text("PM2.5")
    expect(air.locator(".legend-row")).to_have_count(4)
    assert "> 115 µg/m³" in air.inner_text()
    # a link pasted into the open tab opens the panel without a reload
    page.evaluate(f"location.hash = '#entity={SENSOR}'")
    cell = page.locator("#detail:not([hidden]) tr[data-attr=pm25] td").nth(1)
    expect(cell).to_contain_text("µg/m³", timeout=5_000)
    chart = page.locator("#detail-chart svg")
    expect(chart).to_have_count(1, timeout=5_000)
    line = chart.locator("polyline.line")
    for _ in range(50):  # the history arrives after the panel opens
        if len((line.get_attribute("points") or "").split()) >= 3:
            break
        page.wait_for_timeout(100)
    ticks = chart.locator("text.xtick").all_text_contents()
    assert len(ticks) >= 2 and all(":" in t or "月" in t for t in ticks), ticks
    assert "PM2.5 (µg/m³)" in (chart.locator("text.unit").text_content() or "")
    box = chart.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.16, box["y"] + box["height"] / 2)
    expect(chart.locator("text.readout")).to_contain_text("µg/m³")
    history = httpx.get(
        watched.base + f"/ngsi-ld/v1/temporal/entities/{SENSOR}",
        params={"attrs": "pm25", "lastN": "60", "options": "temporalValues"},
        headers=ENVIRONMENT,
    ).json()["pm25"]["values"]
    first = min(history, key=lambda pair: dt.datetime.fromisoformat(pair[1]))
    assert float(chart.get_attribute("data-selected") or "nan") == first[0]  # the leftmost
    _shot(watched, "detail", backend)
    assert watched.errors == [] and watched.outside == []


def test_a_request_opens_as_a_case_card(watched: Watched, city: Server, backend: str) -> None:
    from cityhub.care.points import ServicePoint

    page = watched.page
    request_id = _file_streetlight(watched.base, "深南大道路灯不亮")
    card = httpx.get(watched.base + f"/dashboard/v1/requests/{request_id}").json()
    # the operator sees the open community health centres nearest the caller
    clinic = ServicePoint(
        "urn:ngsi-ld:PointOfInterest:card:1",
        "福田社康中心",
        "community_health_centre",
        frozenset({"community_health_centre"}),
        card["long"] + 0.003,
        card["lat"],
    )
    city.hub.care.save([clinic])
    _open(watched, f"/#entity=urn:ngsi-ld:Open311ServiceRequest:{request_id}")
    shown = page.locator("#detail-card:not([hidden])")
    expect(shown.locator("#card-timeline li").first).to_be_visible(timeout=5_000)
    text = shown.inner_text()
    assert card["status_text"]["zh"] in text
    assert card["department_name"]["zh"] in text
    assert "受理" in text and "深南大道路灯不亮" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text), text  # no raw ISO times
    assert "月" in shown.locator("#card-timeline li").first.inner_text()  # local date, in words
    assert page.locator("#detail .entity-view").is_hidden()
    expect(shown.locator("#card-nearby li").first).to_contain_text("福田社康中心", timeout=5_000)
    expect(shown.locator("#card-nearby li").first).to_contain_text("步行约")
    _shot(watched, "request-card", backend)
    assert watched.errors == [] and watched.outside == []


def test_goal_charts_draw_time_elapsed_and_warn_of_old_data(
    watched: Watched, city: Server, backend: str
) -> None:
    indicators = city.hub.indicators
    for ident in ("budget_revenue_cumulative", "budget_revenue_plan"):
        indicators.load_series(ident, demo_file("demo_fiscal_monthly.csv"))
    indicators.load_series("gdp", demo_file("shenzhen_gdp_annual_2001_2017_nbs.csv"))
    indicators.compute(
        ["budget_revenue_execution", "gdp"], dt.date(2001, 1, 1), dt.date.today(), publish=False
    )
    page = watched.page
    _open(watched)
    page.click("[data-tab=goals]")
    budget = page.locator(".goal[data-key='budget_revenue_execution|city']")
    expect(budget).to_be_visible(timeout=15_000)
    budget.locator(".head").click()
    expect(budget.locator("svg polyline.reference")).to_have_count(1, timeout=10_000)
    expect(budget.locator(".chart-key")).to_contain_text("序时进度")
    assert budget.locator("svg polygon.band").count() == 0  # a cumulative rate is not extrapolated
    gdp = page.locator(".goal[data-key='gdp|city']")
    expect(gdp.locator(".badge.stale")).to_contain_text("2017")
    expect(gdp).to_contain_text("亿元")
    empty = page.locator(".goal[data-key='pm10_annual_mean|city']")  # nothing computed
    empty.locator(".head").click()
    expect(empty.locator(".no-forecast")).to_contain_text("暂无预测", timeout=10_000)
    assert not re.search(r"[A-Za-z]{4,}", page.locator("#panel-goals").inner_text()), (
        "English words in the Chinese goals panel"
    )
    _shot(watched, "goals", backend)
    assert watched.errors == [] and watched.outside == []


def test_english_mode_names_districts_in_english_and_labels_do_not_overlap(
    watched: Watched, backend: str
) -> None:
    request_id = _file_streetlight(watched.base, "路灯闪烁")
    _open(watched)
    page = watched.page
    page.click("#lang-button")
    page.click("[data-tab=citizen]")
    row = page.locator(f"#queue li[data-request='{request_id}']")
    expect(row).to_contain_text("Futian District", timeout=10_000)
    assert "福田区" not in row.inner_text()
    options = page.locator("#district-filter option").all_inner_texts()
    assert "Futian District" in options and not any("区" in o for o in options)
    boxes = []
    for label in page.locator(".district-label").all():
        if label.evaluate("el => getComputedStyle(el).visibility") == "visible":
            box = label.bounding_box()
            assert box is not None
            boxes.append((label.inner_text(), box))
    assert len(boxes) >= 5, boxes
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (name_a, name_b)
    page.evaluate(f"location.hash = '#entity=urn:ngsi-ld:Open311ServiceRequest:{request_id}'")
    card = page.locator("#detail-card:not([hidden])")
    expect(card).to_contain_text("Futian District", timeout=5_000)
    expect(card).to_contain_text("dispatched")
    assert not re.search(r"\d{2}/\d{2}", card.inner_text())  # months by name, never 02/12
    _shot(watched, "english-lists", backend)
    page.click("#lang-button")
    assert watched.errors == [] and watched.outside == []


def test_participation_panel_shows_response_results_and_proposals(
    watched: Watched, city: Server, backend: str
) -> None:
    from cityhub.demo.survey import FORM_ID, load_demo_proposals, run_demo_survey

    run_demo_survey(city.hub)
    load_demo_proposals(city.hub)
    progress = city.hub.surveys.progress(FORM_ID)
    _open(watched)
    page = watched.page
    page.click("[data-tab=participation]")
    panel = page.locator("#panel-participation")
    expect(panel).to_have_attribute("data-ready", "true", timeout=15_000)
    survey = panel.locator(f"section.survey[data-form='{FORM_ID}']")
    expect(survey).to_contain_text(f"已回收 {progress['responses']} / 800")
    assert survey.locator(".bars.progress .bar").count() == 10
    # the index by district with intervals; 盐田区's one answer is withheld
    assert survey.locator(".bars.results .track .ci").count() >= 8
    expect(survey.locator(".bars.results")).to_contain_text("样本不足，不公布")
    proposals = panel.locator("li.proposal")
    assert proposals.count() == 8
    expect(proposals.first).to_contain_text("增加夜间公交线路")
    expect(proposals.first).to_contain_text("已采纳")
    expect(panel.locator("li.proposal[data-status=open]").first).to_be_visible()
    expect(panel).to_contain_text("已超过答复期限")
    # shade the map by the index: districts take the bands' colours and the legend says so
    survey.locator("button[data-shade]").click()
    expect(page.locator("#legend [data-type=shading]")).to_contain_text("满意度指数")
    fills = {page.locator("path.district").nth(i).get_attribute("fill") for i in range(10)}
    assert len(fills - {"#ffffff"}) >= 3, fills
    _shot(watched, "participation", backend)
    page.click("#lang-button")
    expect(panel).to_contain_text("Proposals (by support)")
    assert watched.errors == [] and watched.outside == []


def test_community_layer_shows_service_points_open_full_or_shut(
    watched: Watched, city: Server, backend: str
) -> None:
    from cityhub.care.points import ServicePoint

    base = "urn:ngsi-ld:PointOfInterest:layer:"
    city.hub.care.save(
        [
            ServicePoint(base + "open", "开放的饭堂", "elderly_canteen",
                         frozenset({"elderly_canteen"}), 114.05, 22.54, "24/7", 40, 10),
            ServicePoint(base + "full", "满了的饭堂", "elderly_canteen",
                         frozenset({"elderly_canteen"}), 114.06, 22.54, "24/7", 40, 40),
            ServicePoint(base + "shut", "不开的饭堂", "elderly_canteen",
                         frozenset({"elderly_canteen"}), 114.07, 22.54, "Mo-Fr 00:00-00:01"),
        ]
    )  # fmt: skip
    items = httpx.get(watched.base + "/dashboard/v1/entities").json()["items"]
    values = {i["id"].rsplit(":", 1)[1]: i["values"] for i in items if i["id"].startswith(base)}
    assert (values["open"]["open"], values["open"]["free"]) == (True, 30)
    assert (values["full"]["open"], values["full"]["free"]) == (True, 0)
    assert values["shut"]["open"] is False
    _open(watched)
    page = watched.page
    chip = page.locator("[data-type=PointOfInterest]").first
    expect(chip).to_contain_text("社区服务点")
    chip.click()  # hidden at start, like bus stops
    legend = page.locator("#legend [data-type=PointOfInterest]")
    expect(legend).to_contain_text("开放中")
    expect(legend).to_contain_text("已满")
    expect(legend).to_contain_text("未开放")
    assert watched.errors == [] and watched.outside == []


def test_care_panel_shows_life_circle_gaps_todays_alarms_and_runs(
    watched: Watched, city: Server, backend: str
) -> None:
    from cityhub.demo.care import load_demo_points
    from cityhub.demo.homecare import load_demo_homecare

    load_demo_points(city.hub)
    load_demo_homecare(city.hub)
    _open(watched)
    page = watched.page
    page.click("[data-tab=care]")
    panel = page.locator("#panel-care")
    expect(panel).to_have_attribute("data-ready", "true", timeout=30_000)
    gaps = panel.locator(".bars.gaps .bar")
    assert gaps.count() >= 8
    expect(panel.locator("section.gaps")).to_contain_text("步行 5 分钟")
    panel.locator("select[name=kind]").select_option("community_health_centre")
    expect(panel.locator("section.gaps")).to_contain_text("步行 15 分钟")
    panel.locator("button[data-shade-gaps]").click()
    expect(page.locator("#legend [data-type=shading]")).to_contain_text("15 分钟生活圈覆盖率")
    fills = {page.locator("path.district").nth(i).get_attribute("fill") for i in range(10)}
    assert len(fills - {"#ffffff"}) >= 1, fills
    # today's home care (a development store reads every department's): two answered alarms
    alarms = panel.locator("li.alarm")
    expect(alarms).to_have_count(2)
    expect(alarms.first).to_contain_text("秒接单")
    expect(alarms.first).to_contain_text("已完成")
    runs = panel.locator("ul.runs li")
    assert runs.count() >= 5
    panel.locator("button[data-routes]").click()
    expect(page.locator("path.care-route").first).to_be_attached()
    assert page.locator("path.care-route").count() == runs.count()
    # a run's tooltip names its caregiver, filled by the page as text
    page.locator("path.care-route").first.dispatch_event("mouseover")
    tip = page.locator(".leaflet-tooltip:not(.district-label)")
    expect(tip).to_have_count(1)
    caregiver = tip.inner_text().strip()
    assert caregiver and caregiver in panel.locator("ul.runs").inner_text(), caregiver
    shown = panel.inner_text()
    assert "模拟小区" not in shown and "1380000" not in shown  # no client's address or phone
    _shot(watched, "care", backend)
    page.click("#lang-button")
    expect(panel).to_contain_text("Home care today")
    assert watched.errors == [] and watched.outside == []
