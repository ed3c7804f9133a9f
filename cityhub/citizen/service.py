"""Citizen requests: filing, routing, the 12345 workflow, deadlines, merging and 三率.

Each change writes the request row, its events and its NGSI-LD entity in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from cityhub.auth import policy
from cityhub.auth.principal import Principal
from cityhub.broker.normalize import parse_attributes, parse_entity
from cityhub.broker.service import EntityService
from cityhub.citizen.catalog import ServiceCatalog
from cityhub.citizen.duplicates import box_around, find_duplicates
from cityhub.citizen.entity import ENTITY_TYPE, entity_attributes, entity_id
from cityhub.citizen.places import Locator, check_coordinates
from cityhub.citizen.router import ClassifierRegistry
from cityhub.citizen.workdays import add_working_days, calendar_known
from cityhub.citizen.workflow import TransitionNotAllowed, next_status
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.jsonld import TermMap
from cityhub.store import Store
from cityhub.store.citizen_sql import RequestEvent, RequestFilter, RequestRow
from cityhub.timeutil import now_iso

MAX_DESCRIPTION = 4000
TENANT = ""  # requests live in the default tenant, next to the city's other entities
US = 1_000_000


def to_us(moment: dt.datetime) -> int:
    return int(moment.timestamp() * US)


def from_us(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / US, dt.UTC)


@dataclass
class NewRequest:
    service_code: str
    description: str = ""
    lat: Any = None
    lon: Any = None
    address: str = ""
    address_id: str = ""
    title: str = ""
    urgency: str = "normal"
    media_url: str = ""
    reporter: dict[str, str] = field(default_factory=dict)  # email, phone, names, device, account
    attributes: dict[str, Any] = field(default_factory=dict)
    requested_at: dt.datetime | None = None  # replaying history; otherwise now
    # Imported history may have no location (old hotline records); new requests must.
    location_required: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # kept as is (likes, source ids)


class RequestService:
    def __init__(
        self,
        store: Store,
        entities: EntityService,
        core: TermMap,
        catalog: ServiceCatalog,
        locator: Locator,
        classifiers: ClassifierRegistry,
        timezone: str,
    ) -> None:
        self.store = store
        self.entities = entities
        self.core = core
        self.catalog = catalog
        self.locator = locator
        self.classifiers = classifiers
        self.timezone = timezone

    # -- filing -------------------------------------------------------------------------------
    def create(self, new: NewRequest, actor: str = "citizen") -> RequestRow:
        """Validate, locate, classify, set deadlines, look for duplicates, then store."""
        if new.service_code not in self.catalog.services:
            raise BadRequestData(f"service_code '{new.service_code}' is not provided")
        service = self.catalog.services[new.service_code]
        description = new.description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise BadRequestData(
                f"description is {len(description)} characters; at most {MAX_DESCRIPTION}"
            )
        if not description and not new.title.strip():
            raise BadRequestData("a request needs a description")
        if new.urgency not in service.deadline_days:
            raise BadRequestData(f"urgency must be one of {', '.join(service.deadline_days)}")
        lat = lon = None
        if new.lat not in (None, "") or new.lon not in (None, ""):
            lat, lon = check_coordinates(new.lat, new.lon)
            if not self.locator.inside_city(lon, lat):
                raise BadRequestData(f"({lat}, {lon}) is outside this jurisdiction")
        address = new.address.strip()
        located = lat is not None or address or new.address_id.strip()
        if new.location_required and not located:
            raise BadRequestData(
                "a location is required: lat and long, address_string or address_id"
            )
        place = self.locator.locate(lat, lon, address or new.title)
        text = f"{new.title}。{new.title}。{description}" if new.title else description
        routing = self.classifiers.classify([text])[0]
        department, why = service.department, "service owner"
        named = self.catalog.department_by_keywords(text) if department is None else None
        confident = routing.confidence is not None and routing.confidence >= self.catalog.threshold
        if named is not None:
            department, why = named[0], f"keyword {named[1]}"
        elif department is None and confident:
            department = self.catalog.department_for(routing.category)
            why = f"classifier {routing.confidence}"
        received = (new.requested_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        received_us = to_us(received)
        response_due = add_working_days(received, service.response_days[new.urgency], self.timezone)
        deadline = add_working_days(received, service.deadline_days[new.urgency], self.timezone)
        rules = self.catalog.duplicates
        since = received_us - int(rules.window_days * 86400 * US)
        box = box_around(lat, lon, rules.radius_m) if lat is not None and lon is not None else None
        nearby = self.store.requests.nearby_requests(new.service_code, since, box, place.district)
        duplicates = find_duplicates(f"{new.title}{description}", lat, lon, nearby, rules)
        doc: dict[str, Any] = {
            "title": new.title,
            "description": description,
            "address": address,
            "address_id": new.address_id,
            "media_url": new.media_url,
            "attributes": new.attributes,
            "reporter": {k: v for k, v in new.reporter.items() if v},
            "routing": {
                "top": [[c, p] for c, p in routing.top],
                "model_version": routing.model_version,
                "threshold": self.catalog.threshold,
            },
            "place_source": place.source,
            "calendar_known": calendar_known(deadline.date()),
            "duplicate_candidates": [d.as_dict() for d in duplicates],
            "service_notice": _notice(service.deadline_days[new.urgency]),
        }
        doc = {**new.extra, **doc}  # extras never replace what the platform records
        row = RequestRow(
            id=0,
            token=uuid.uuid4().hex,
            service_code=new.service_code,
            status="received",
            department=None,
            category=routing.category,
            confidence=routing.confidence,
            urgency=new.urgency,
            district=place.district,
            street=place.street,
            lat=lat,
            lon=lon,
            requested_us=received_us,
            updated_us=received_us,
            response_due_us=to_us(response_due),
            deadline_us=to_us(deadline),
            doc=doc,
        )
        events = [RequestEvent(0, received_us, "receive", None, "received", actor, "")]
        if department is not None:
            row.department, row.status = department, "dispatched"
            events.append(
                RequestEvent(0, received_us, "dispatch", "received", "dispatched", "router", why)
            )
        with self.entities.write(TENANT) as tx:
            request_id = tx.requests.insert_request(row)
            for event in events:
                event.request_id = request_id
            tx.requests.add_events(events)
            body = {"id": entity_id(request_id), "type": ENTITY_TYPE}
            body.update(entity_attributes(row, self.catalog, received_us))
            now = now_iso()
            tx.insert([parse_entity(body, self.core, now)])
        return row

    # -- reads --------------------------------------------------------------------------------
    def get(self, request_id: int) -> RequestRow:
        row = self.store.requests.get_request(request_id)
        if row is None:
            raise ResourceNotFound(f"service request {request_id} was not found")
        return row

    def by_token(self, token: str) -> int | None:
        return self.store.requests.find_request_token(token)

    def find(self, flt: RequestFilter, limit: int, offset: int = 0) -> list[RequestRow]:
        return self.store.requests.list_requests(flt, limit, offset)

    def history(self, request_id: int) -> list[RequestEvent]:
        self.get(request_id)
        return self.store.requests.request_events(request_id)

    # -- the workflow -------------------------------------------------------------------------
    def act(
        self,
        request_id: int,
        action: str,
        actor: str,
        note: str = "",
        department: str | None = None,
        into: int | None = None,
        at: dt.datetime | None = None,
        by: Principal | None = None,
    ) -> RequestRow:
        """Move a request through the workflow (dispatch, accept, return, resolve, close,
        reopen, merge). Returning (退单) and merging need a reason or target. `by` is the
        caller (None: the platform itself); the centre and the handling department each may
        take their own actions only (cityhub.auth.policy)."""
        now_us = to_us(at or dt.datetime.now(dt.UTC))
        if action == "dispatch":
            if department is None:
                raise BadRequestData("dispatch needs a department")
            if department not in self.catalog.departments:
                raise BadRequestData(f"unknown department '{department}'")
        if action == "return" and not note.strip():
            raise BadRequestData("returning a request (退单) needs a reason in note")
        if action == "merge":
            if into is None:
                raise BadRequestData("merge needs the request to merge into ('into')")
            if into == request_id:
                raise BadRequestData("a request cannot be merged into itself")
        with self.entities.write(TENANT) as tx:
            ids = [request_id] if into is None else [request_id, into]
            rows = {r.id: r for r in tx.requests.lock_requests(ids)}
            row = rows.get(request_id)
            if row is None:
                raise ResourceNotFound(f"service request {request_id} was not found")
            if into is not None and into not in rows:
                raise ResourceNotFound(f"service request {into} was not found")
            policy.check_request_action(by, action, row.department, self.catalog.centre)
            before = row.status
            row.status = next_status(row.status, action)
            changed = [row]
            notices: list[tuple[int, int, str, str, str]] = []
            if action == "dispatch":
                row.department = department
            elif action == "accept" and row.responded_us is None:
                row.responded_us = now_us
            elif action == "resolve":
                row.resolved_us = now_us
                row.responded_us = row.responded_us or now_us
                notices += _tell(row, now_us, f"您的诉求 {row.id} 已办结：{note}".rstrip("："))
            elif action == "reopen":
                row.resolved_us = None
            elif action == "merge":
                target = rows[into]  # type: ignore[index]
                if not target.is_open:
                    raise TransitionNotAllowed(f"request {into} is {target.status}, not open")
                row.merged_into = into
                notices += _tell(row, now_us, f"您的诉求 {row.id} 已并入 {into} 一并办理")
            if action in ("resolve", "close"):
                # Merged requests close together with the one they were merged into.
                for child in tx.requests.merged_into(row.id):
                    child.resolved_us = child.resolved_us or now_us
                    child.doc["status_notes"] = note or f"closed with request {row.id}"
                    child.updated_us = now_us
                    changed.append(child)
                    if action == "resolve":
                        notices += _tell(child, now_us, f"您的诉求 {child.id} 已随 {row.id} 办结")
            row.doc["status_notes"] = note or row.doc.get("status_notes", "")
            row.updated_us = now_us
            for r in changed:
                tx.requests.update_request(r)
                self._update_entity(tx, r, now_us)
            tx.requests.add_events(
                [RequestEvent(row.id, now_us, action, before, row.status, actor, note)]
            )
            tx.requests.add_notices(notices)
        return row

    def follow_up(
        self,
        request_id: int,
        satisfaction: int,
        actor: str,
        note: str = "",
        by: Principal | None = None,
    ) -> RequestRow:
        """回访: the reporter's satisfaction (1 very dissatisfied .. 5 very satisfied), recorded
        by the 12345 centre (never by the department being rated)."""
        policy.check_follow_up(by, self.catalog.centre)
        if isinstance(satisfaction, bool) or not isinstance(satisfaction, int):
            raise BadRequestData("satisfaction must be a whole number from 1 to 5")
        if not 1 <= satisfaction <= 5:
            raise BadRequestData("satisfaction must be a whole number from 1 to 5")
        now_us = to_us(dt.datetime.now(dt.UTC))
        with self.entities.write(TENANT) as tx:
            rows = tx.requests.lock_requests([request_id])
            if not rows:
                raise ResourceNotFound(f"service request {request_id} was not found")
            row = rows[0]
            if row.status not in ("resolved", "closed"):
                raise TransitionNotAllowed("follow-up (回访) comes after the request is resolved")
            row.satisfaction = satisfaction
            note = f"satisfaction {satisfaction}. {note}".strip()
            self._save_in_place(tx, row, now_us, "follow_up", actor, note)
        return row

    def _save_in_place(
        self, tx: Any, row: RequestRow, now_us: int, action: str, actor: str, note: str
    ) -> None:
        """Write a change that keeps the request's state (follow-up, escalation)."""
        row.updated_us = now_us
        tx.requests.update_request(row)
        event = RequestEvent(row.id, now_us, action, row.status, row.status, actor, note)
        tx.requests.add_events([event])
        self._update_entity(tx, row, now_us)

    def _update_entity(self, tx: Any, row: RequestRow, now_us: int) -> None:
        eid = entity_id(row.id)
        found = tx.get_many([eid]).get(eid)
        now = now_iso()
        attrs = entity_attributes(row, self.catalog, now_us)
        if found is None:
            tx.insert([parse_entity({"id": eid, "type": ENTITY_TYPE, **attrs}, self.core, now)])
            return
        patch = parse_attributes(attrs, self.core, now)
        EntityService.apply_merge(found, patch, [], now)
        tx.update([found])

    # -- deadlines ----------------------------------------------------------------------------
    def escalate_overdue(self, now: dt.datetime | None = None, limit: int = 500) -> int:
        """Raise the escalation level of open requests past their deadline: level 1 when
        overdue, 2 after a further full deadline period. Returns how many changed."""
        now_us = to_us(now or dt.datetime.now(dt.UTC))
        overdue = self.store.requests.list_requests(
            RequestFilter(overdue_at_us=now_us, order="deadline"), limit
        )
        changed = 0
        for stale in overdue:
            span = max(stale.deadline_us - stale.requested_us, US)
            level = 1 if now_us - stale.deadline_us < span else 2
            if level <= stale.escalation:
                continue
            with self.entities.write(TENANT) as tx:
                rows = tx.requests.lock_requests([stale.id])
                if not rows or not rows[0].is_open or rows[0].escalation >= level:
                    continue
                row = rows[0]
                row.escalation = level
                note = f"overdue: escalation level {level}"
                self._save_in_place(tx, row, now_us, "escalate", "deadline", note)
                changed += 1
        return changed

    def rates(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        """三率 per department for requests received in [start, end)."""
        now_us = to_us(dt.datetime.now(dt.UTC))
        out = []
        for (
            dept,
            received,
            r_due,
            r_ok,
            s_due,
            s_ok,
            followed,
            satisfied,
        ) in self.store.requests.department_rates(now_us, to_us(start), to_us(end)):
            info = self.catalog.departments.get(dept)
            out.append(
                {
                    "department": dept,
                    "name": {"zh": info.name_zh, "en": info.name_en} if info else {"zh": dept},
                    "received": received,
                    "response_rate": _rate(r_ok, r_due),
                    "resolution_rate": _rate(s_ok, s_due),
                    "satisfaction_rate": _rate(satisfied, followed),
                    "counts": {
                        "response_due": r_due,
                        "responded_in_time": r_ok,
                        "resolution_due": s_due,
                        "resolved_in_time": s_ok,
                        "followed_up": followed,
                        "satisfied": satisfied,
                    },
                }
            )
        return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _notice(days: float) -> str:
    return f"将在{days:g}个工作日内办理 / to be handled within {days:g} working day(s)"


def _tell(row: RequestRow, at_us: int, message: str) -> list[tuple[int, int, str, str, str]]:
    reporter = row.doc.get("reporter") or {}
    out = []
    for channel in ("email", "phone", "device_id"):
        if reporter.get(channel):
            out.append((row.id, at_us, channel, str(reporter[channel]), message))
    return out
