"""The residents' page of nearby services in Chromium on a phone-sized screen: by district and
by the phone's position, only open places, only those with free places when asked, in Chinese
and English, with nothing fetched from outside."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from cityhub.care.points import ServicePoint
from tests.browser import launch
from tests.conftest import Server

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


@pytest.fixture(scope="module")
def places(server: Server) -> dict[str, float]:
    districts = httpx.get(server.base + "/dashboard/v1/districts").json()["features"]
    futian = next(f for f in districts if f["properties"]["name"] == "福田区")
    lon, lat = futian["properties"]["label_point"]
    canteens = [
        ServicePoint(f"urn:ngsi-ld:PointOfInterest:page:{name}", name, "elderly_canteen",
                     frozenset({"elderly_canteen"}), lon + dx, lat, hours, 40, used)
        for name, dx, hours, used in (
            ("近的饭堂", 0.002, "24/7", 40),  # full
            ("中间的饭堂", 0.004, "24/7", 10),
            ("关门的饭堂", 0.001, "Mo-Fr 00:00-00:01", 0),  # as good as never open
            ("远的饭堂", 0.02, "24/7", 0),
        )
    ]  # fmt: skip
    server.hub.care.save(canteens)
    return {"lat": lat, "lon": lon}


def test_residents_find_open_places_near_them(
    browser: Browser, server: Server, places: dict[str, float]
) -> None:
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, permissions=["geolocation"],
        geolocation={"latitude": places["lat"], "longitude": places["lon"] + 0.02},
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(server.base) else outside.append(r.url))
    page.goto(server.base + "/care")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    expect(page.locator("#title")).to_have_text("附近服务")
    page.select_option("#kind", "elderly_canteen")
    page.select_option("#district", label="福田区")
    page.click("#find")
    names = page.locator("#results li .name")
    expect(names.first).to_have_text("近的饭堂", timeout=10_000)
    assert names.all_inner_texts() == [
        "近的饭堂",
        "中间的饭堂",
        "远的饭堂",
    ]  # the closed one is not
    expect(page.locator("#results li").first).to_contain_text("已满")
    page.check("#capacity")
    page.click("#find")
    expect(names.first).to_have_text("中间的饭堂", timeout=10_000)
    # the phone's position: right by the far canteen
    page.click("#here")
    expect(names.first).to_have_text("远的饭堂", timeout=10_000)
    expect(page.locator("#status")).to_have_text("已使用您的位置")
    page.click("#lang")
    expect(page.locator("#title")).to_have_text("Services near you")
    expect(page.locator("#results li").first).to_contain_text("min walk")
    assert errors == [] and outside == []
    context.close()
