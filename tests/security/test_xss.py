"""C1/H6: data typed by a citizen or a department is text on the dashboard, never markup; the
page is served with a strict Content-Security-Policy and keeps no key where script can read it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from tests.browser import launch
from tests.security.conftest import City

pytestmark = pytest.mark.e2e
TOOLTIP_PAYLOAD = "<img src=x onerror=window.__pwned='c1'>"
LABEL_PAYLOAD = "<img src=x onerror=window.__pwned='h6'>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch()


def test_every_page_answer_carries_a_strict_policy(city: City) -> None:
    page = httpx.get(city.base + "/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    api = httpx.get(city.base + "/ngsi-ld/v1/types")
    assert api.headers["content-security-policy"].startswith("default-src 'none'")


def test_markup_in_a_request_and_a_district_name_stays_text(city: City, browser: Browser) -> None:
    bounds = httpx.get(city.base + "/dashboard/v1/config").json()["bounds"]
    lat = (bounds[0][0] + bounds[1][0]) / 2
    lon = (bounds[0][1] + bounds[1][1]) / 2
    with city.client("public") as public:  # any citizen may file a request (C1)
        filed = public.post(
            "/open311/v2/requests.json",
            data={
                "api_key": city.keys["public"],
                "service_code": "streetlight",
                "description": TOOLTIP_PAYLOAD,
                "lat": str(lat),
                "long": str(lon),
            },
        )
        assert filed.status_code == 201, filed.text
    district = {
        "id": "urn:ngsi-ld:District:Shenzhen:Luohu",
        "type": "District",
        "name": {"type": "LanguageProperty", "languageMap": {"zh": "罗湖区", "en": LABEL_PAYLOAD}},
    }
    with city.client("tr_staff") as staff:  # M11: a department cannot rename the city's districts
        assert staff.post("/ngsi-ld/v1/entities", json=district).status_code == 403
    with city.client("admin") as admin:  # an admin can, and the name must still be text (H6)
        assert admin.post("/ngsi-ld/v1/entities", json=district).status_code == 201

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{city.base}/#key={city.keys['hot_staff']}")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        assert "#key" not in page.url
        page.click("#lang-button")  # English labels: the district name from the entity
        page.wait_for_function(
            "() => [...document.querySelectorAll('.district-label')]"
            ".some(l => l.textContent.includes('<img'))",
            timeout=5_000,
        )
        box = page.locator("#map").bounding_box()
        assert box is not None
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        shown = ""
        for dx, dy in [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1), (2, 2), (-2, -2), (3, 0), (0, 3)]:
            page.mouse.move(cx + dx, cy + dy)
            page.wait_for_timeout(150)
            shown = page.evaluate(
                "() => [...document.querySelectorAll('.leaflet-tooltip:not(.district-label)')]"
                ".map(t => t.textContent).join('|')"
            )
            if "<img" in shown:
                break
        assert TOOLTIP_PAYLOAD[:30] in shown, "the tooltip shows the description as text"
        page.wait_for_selector("#queue li", timeout=10_000)
        queue = page.locator("#queue").inner_text()
        assert "<img" in queue, "the operators' queue shows the description as text"
        assert page.evaluate("() => window.__pwned") is None, "no payload ran"
        assert page.locator(".leaflet-tooltip img, #queue img, .district-label img").count() == 0
        # The key is nowhere a script could read it: not in storage, not in a readable cookie.
        assert city.keys["hot_staff"] not in page.evaluate("() => JSON.stringify(localStorage)")
        assert "cityhub_session" not in page.evaluate("() => document.cookie")
        cookies = {c["name"]: c for c in context.cookies()}
        assert (
            cookies["cityhub_session"]["httpOnly"]
            and cookies["cityhub_session"]["sameSite"] == "Strict"
        )
        assert not [v for v in violations if "Content Security Policy" in v]
    finally:
        context.close()


def test_the_page_code_hands_markup_sinks_no_string() -> None:
    """No module of the page writes HTML: no innerHTML and the like, and no call of Leaflet's
    content methods, which parse a string as HTML; overlays are filled by the page's `show`."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "cityhub" / "dashboard" / "static" / "js"
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.html\(")
    leaflet = "bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent"
    content = re.compile(rf"\.({leaflet})\(")
    found = []
    for module in sorted(folder.glob("*.js")):
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            if sinks.search(line) or content.search(line):
                found.append(f"{module.name}:{number}: {line.strip()}")
    assert found == [], found
