"""Surveys at /survey/v1: forms published as XLSForm workbooks (a department's staff), read
by anyone (the collection page and apps render them), and responses submitted by anyone to an
open survey, each checked against its form's logic on the server before it is stored; the
collecting department reads the responses, other departments with free text masked."""

from __future__ import annotations

from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cityhub import __version__
from cityhub.api import http
from cityhub.api.routing import route
from cityhub.auth import policy
from cityhub.errors import BadRequestData
from cityhub.limits import whole_number
from cityhub.survey import publish as publishing
from cityhub.survey.form import MAX_FORM_BYTES, Form
from cityhub.survey.invitations import SampleRequest
from cityhub.survey.results import MIN_CELL, ResultRequest
from cityhub.survey.results import compute as compute_results
from cityhub.survey.service import describe

PREFIX = "/survey/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LANGS = ("zh", "en")


def _form_id(request: Request) -> str:
    ident = request.path_params["form_id"]
    if not ident or len(ident) > 200:
        raise BadRequestData("a form id is 1 to 200 characters")
    return str(ident)


_PAGE = resources.files("cityhub.dashboard").joinpath("static", "survey.html")


async def page(request: Request) -> Response:
    """The collection page of a form (mobile first, zh/en): it reads the form from the API,
    applies its logic as answers change and submits to it."""
    _form_id(request)
    html = _PAGE.read_text(encoding="utf-8").replace("{{version}}", __version__)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


async def publish(request: Request) -> Response:
    """The body is the XLSForm workbook (.xlsx); a new version of its form is stored."""
    hub = http.hub_of(request)
    if http.media_type(request) not in (XLSX, "application/octet-stream"):
        raise BadRequestData(f"send the XLSForm workbook as {XLSX}")
    data = await http.read_bytes(request, MAX_FORM_BYTES)
    name = request.query_params.get("filename", "form.xlsx")[:200]
    department = http.principal_of(request).department or ""
    prepared = await hub.run(hub.surveys.prepare, data, name, department)
    stored, form = await hub.write(hub.surveys.save, *prepared)
    return http.ORJSONResponse(describe(form, stored), status_code=201)


async def list_forms(request: Request) -> Response:
    hub = http.hub_of(request)
    rows = await hub.run(hub.store.surveys.forms)
    return http.ORJSONResponse(
        [
            {"form_id": f, "version": v, "title": t, "versions": n, "responses": r}
            for f, v, t, n, r in rows
        ]
    )


async def show_form(request: Request) -> Response:
    hub = http.hub_of(request)
    version = request.query_params.get("version")
    stored, form = await hub.run(hub.surveys.form, _form_id(request), version)
    return http.ORJSONResponse(describe(form, stored))


async def submit(request: Request) -> Response:
    """{"answers": {...}, "version"?: "..."} → 201 with the response's id, or 400 listing
    every answer refused (`errors`: [{question, message}])."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    lang = request.query_params.get("lang", "zh")
    if lang not in _LANGS:
        raise BadRequestData("lang must be zh or en")
    client = f"{request.client.host if request.client else ''} {request.headers.get('user-agent')}"
    received = await hub.run(hub.surveys.receive, _form_id(request), body, lang, client)
    ident = await hub.write(hub.surveys.store_response, received)
    return http.ORJSONResponse({"id": ident, "version": received.version}, status_code=201)


async def draw_sample(request: Request) -> Response:
    """Draw a stratified sample of a catalog dataset for a form of the caller's department:
    the form then takes responses by invitation only. The tokens are in this answer only."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    wanted = SampleRequest.from_body(_form_id(request), body)
    reader = http.principal_of(request)
    sample, invited, handed = await hub.run(hub.surveys.prepare_sample, hub.catalog, reader, wanted)
    await hub.write(hub.surveys.save_sample, sample, invited)
    link = f"/survey/{sample.form_id}?token="
    return http.ORJSONResponse(
        {
            "form_id": sample.form_id,
            "frame": sample.frame,
            "size": sample.size,
            "seed": sample.seed,
            "invitations": [{**h, "link": link + h["token"]} for h in handed],
        },
        status_code=201,
    )


async def progress(request: Request) -> Response:
    hub = http.hub_of(request)
    return http.ORJSONResponse(await hub.run(hub.surveys.progress, _form_id(request)))


async def remind(request: Request) -> Response:
    """The invitees due a reminder (not answered, not reminded in the last days)."""
    hub = http.hub_of(request)
    due = await hub.write(hub.surveys.remind, _form_id(request), http.principal_of(request))
    return http.ORJSONResponse({"form_id": _form_id(request), "remind": due})


async def responses(request: Request) -> Response:
    hub = http.hub_of(request)
    raw_after = request.query_params.get("after", "0")
    raw_limit = request.query_params.get("limit", "1000")
    if not raw_after.isdecimal() or not raw_limit.isdecimal() or not 1 <= int(raw_limit) <= 1000:
        raise BadRequestData("after must be a response id and limit 1 to 1000")
    reader = http.principal_of(request)
    page = await hub.run(
        hub.surveys.responses, _form_id(request), reader, int(raw_after), int(raw_limit)
    )
    return http.ORJSONResponse(page)


def _result_request(body: Any, form: Form, own: bool) -> ResultRequest:
    wanted = ResultRequest.from_body(body, form)
    if wanted.min_cell < MIN_CELL and not own:
        raise BadRequestData(f"min_cell below {MIN_CELL} is for the form's department only")
    return wanted


async def results(request: Request) -> Response:
    """?block=q1,q2&scale=1,5&by=stratum|QUESTION&min_cell=N: the block's 0–100 index and each
    question's, for everyone and by domain, with 95% intervals; small cells withheld."""
    hub = http.hub_of(request)
    q = request.query_params
    body: dict[str, Any] = {"block": [b for b in q.get("block", "").split(",") if b]}
    if "scale" in q:
        parts = q["scale"].split(",")
        try:
            body["scale"] = [float(v) for v in parts]
        except ValueError:
            raise BadRequestData("scale is low,high, e.g. 1,5") from None
    if "by" in q:
        body["by"] = q["by"]
    if "min_cell" in q:
        body["min_cell"] = whole_number(q["min_cell"], "min_cell", 1, 1000)
    stored, form, found, strata = await hub.run(hub.surveys.material, _form_id(request))
    own = policy.may_manage(http.principal_of(request), stored.department)
    wanted = _result_request(body, form, own)
    estimates = await hub.compute.run(compute_results, form, found, strata, wanted)
    return http.ORJSONResponse(
        {"form_id": stored.form_id, "estimates": [e.as_dict() for e in estimates]}
    )


async def publish_results(request: Request) -> Response:
    """The form's steward publishes the results: a catalog dataset of the estimates (open
    data); with `indicator` and `period`, the index as that indicator's series; with
    `"microdata": true`, the closed answers and their design as a conditional dataset."""
    hub = http.hub_of(request)
    body = await http.json_object(request)
    reader = http.principal_of(request)
    stored, form, found, strata = await hub.run(hub.surveys.material, _form_id(request))
    policy.check_manage(reader, stored.department, f"form {stored.form_id!r}")
    wanted = _result_request(body, form, True)
    estimates = await hub.compute.run(compute_results, form, found, strata, wanted)
    microdata = body.get("microdata", False)
    if not isinstance(microdata, bool):
        raise BadRequestData("microdata is true or false")
    done = await hub.run(
        publishing.publish, hub, reader, stored.form_id, stored.title, stored.department, estimates,
        wanted.period, wanted.indicator,
    )  # fmt: skip
    if microdata:
        counted = [r for r in found if r.stratum is not None] if strata else found
        done["microdata"] = await hub.run(
            publishing.publish_microdata, hub, reader, form, stored.title, stored.department,
            counted,
        )  # fmt: skip
    return http.ORJSONResponse(done, status_code=201)


routes = [
    route("/survey/{form_id}", page, "GET", policy.CITY_READ),
    route(PREFIX + "/forms", publish, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/forms", list_forms, "GET", policy.CITY_READ),
    route(PREFIX + "/forms/{form_id}", show_form, "GET", policy.CITY_READ),
    route(PREFIX + "/forms/{form_id}/responses", submit, "POST", policy.SURVEY_SUBMIT),
    route(PREFIX + "/forms/{form_id}/responses", responses, "GET", policy.STAFF_READ),
    route(PREFIX + "/forms/{form_id}/sample", draw_sample, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/forms/{form_id}/progress", progress, "GET", policy.CITY_READ),
    route(PREFIX + "/forms/{form_id}/reminders", remind, "POST", policy.STAFF_WRITE),
    route(PREFIX + "/forms/{form_id}/results", results, "GET", policy.CITY_READ),
    route(PREFIX + "/forms/{form_id}/results", publish_results, "POST", policy.STEWARD_WRITE),
]
