"""The 12345 workflow on both stores: states, 退单, merging, deadlines, escalation, 回访, 三率,
and the NGSI-LD entity that mirrors every request."""

from __future__ import annotations

import datetime as dt

import pytest

from cityhub.citizen.service import NewRequest, to_us
from cityhub.citizen.workflow import TransitionNotAllowed
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.hub import Hub

SZ = dt.timezone(dt.timedelta(hours=8))
FUTIAN = (22.5431, 114.0579)


def file(hub: Hub, code: str = "road", text: str = "深南大道人行道破损", **kw: object) -> int:
    lat, lon = kw.pop("at", FUTIAN)  # type: ignore[misc]
    new = NewRequest(code, description=text, lat=lat, lon=lon, **kw)  # type: ignore[arg-type]
    return hub.requests.create(new).id


def entity_status(hub: Hub, request_id: int) -> tuple[str, str]:
    entity = hub.entities.retrieve("", f"urn:ngsi-ld:Open311ServiceRequest:{request_id}")
    core = "https://uri.etsi.org/ngsi-ld/"
    default = core + "default-context/"
    return (
        entity.attrs[core + "status"][0]["value"],
        entity.attrs[default + "workflowStatus"][0]["value"],
    )


def test_request_goes_from_received_to_closed(hub: Hub) -> None:
    rid = file(hub)
    row = hub.requests.get(rid)
    assert row.status == "dispatched" and row.department == "transport"  # the service's owner
    assert entity_status(hub, rid) == ("open", "dispatched")
    hub.requests.act(rid, "accept", "交通运输局")
    assert hub.requests.get(rid).responded_us is not None
    hub.requests.act(rid, "resolve", "交通运输局", note="已修复")
    assert entity_status(hub, rid) == ("closed", "resolved")
    hub.requests.follow_up(rid, 5, "回访员")
    hub.requests.act(rid, "close", "回访员")
    events = [(e.action, e.to_status) for e in hub.store.requests.request_events(rid)]
    assert events == [
        ("receive", "received"),
        ("dispatch", "dispatched"),
        ("accept", "in_progress"),
        ("resolve", "resolved"),
        ("follow_up", "resolved"),
        ("close", "closed"),
    ]


def test_return_needs_a_reason_and_goes_back_to_dispatch(hub: Hub) -> None:
    rid = file(hub)
    with pytest.raises(BadRequestData, match="reason"):
        hub.requests.act(rid, "return", "交通运输局")
    hub.requests.act(rid, "return", "交通运输局", note="属于城管职责，非本单位")
    row = hub.requests.get(rid)
    assert row.status == "returned" and row.doc["status_notes"] == "属于城管职责，非本单位"
    with pytest.raises(BadRequestData, match="department"):
        hub.requests.act(rid, "dispatch", "派单员")
    hub.requests.act(rid, "dispatch", "派单员", department="urban-management")
    assert hub.requests.get(rid).department == "urban-management"


def test_impossible_transitions_are_refused_and_change_nothing(hub: Hub) -> None:
    rid = file(hub)
    with pytest.raises(TransitionNotAllowed, match="possible: accept"):
        hub.requests.act(rid, "close", "x")
    with pytest.raises(TransitionNotAllowed, match="unknown action"):
        hub.requests.act(rid, "teleport", "x")
    with pytest.raises(ResourceNotFound):
        hub.requests.act(99_999_999, "accept", "x")
    assert hub.requests.get(rid).status == "dispatched"
    assert len(hub.store.requests.request_events(rid)) == 2


def test_reopen_after_close_and_follow_up_only_after_resolution(hub: Hub) -> None:
    rid = file(hub)
    with pytest.raises(TransitionNotAllowed):
        hub.requests.follow_up(rid, 4, "回访员")
    hub.requests.act(rid, "resolve", "交通运输局")
    with pytest.raises(BadRequestData):
        hub.requests.follow_up(rid, 7, "回访员")
    hub.requests.act(rid, "close", "回访员")
    hub.requests.act(rid, "reopen", "市民", note="问题再次出现")
    row = hub.requests.get(rid)
    assert row.status == "reopened" and row.resolved_us is None


def test_a_near_similar_request_is_suggested_as_duplicate_and_merges(hub: Hub) -> None:
    first = file(
        hub,
        "noise",
        "华强北工地夜间施工噪音扰民",
        attributes={"source": "construction"},
        reporter={"email": "a@example.cn"},
    )
    second = file(
        hub,
        "noise",
        "华强北工地夜间施工噪音严重扰民",
        at=(22.5433, 114.0581),
        reporter={"phone": "13800138000"},
    )
    far = file(hub, "noise", "华强北工地夜间施工噪音扰民", at=(22.60, 114.10))
    other = file(hub, "noise", "酒吧音乐太吵", at=(22.5432, 114.0580))
    suggested = hub.requests.get(second).doc["duplicate_candidates"]
    assert suggested and suggested[0]["service_request_id"] == str(first)
    assert suggested[0]["distance_m"] < 50
    assert all(
        c["service_request_id"] != str(first)
        for c in hub.requests.get(far).doc["duplicate_candidates"]
    )
    assert hub.requests.get(other).doc["duplicate_candidates"] == []

    hub.requests.act(second, "merge", "派单员", into=first)
    assert hub.requests.get(second).status == "merged"
    with pytest.raises(TransitionNotAllowed):
        hub.requests.act(second, "accept", "x")
    hub.requests.act(first, "accept", "生态环境局")
    hub.requests.act(first, "resolve", "生态环境局", note="已责令停工")
    merged = hub.requests.get(second)
    assert merged.resolved_us is not None
    told = {(channel, to) for _, channel, to, _ in hub.store.requests.request_notices(second)}
    assert ("phone", "13800138000") in told  # told of the merge and of the resolution
    assert len(hub.store.requests.request_notices(second)) == 2
    assert [c for _, c, _, _ in hub.store.requests.request_notices(first)] == ["email"]


def test_merge_checks_its_target(hub: Hub) -> None:
    a, b = file(hub), file(hub)
    with pytest.raises(BadRequestData):
        hub.requests.act(a, "merge", "x", into=a)
    with pytest.raises(ResourceNotFound):
        hub.requests.act(a, "merge", "x", into=99_999_999)
    hub.requests.act(b, "resolve", "x")
    with pytest.raises(TransitionNotAllowed):
        hub.requests.act(a, "merge", "x", into=b)
    assert hub.requests.get(a).status == "dispatched"


def test_deadline_counts_working_days_over_national_day(hub: Hub) -> None:
    # Filed Wednesday 30 Sep 2026, 10:00 in Shenzhen; 1-7 Oct are holidays, 10 Oct (Saturday)
    # is a make-up workday: five working days are 8, 9, 10, 12 and 13 Oct.
    filed = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SZ)
    row = hub.requests.create(
        NewRequest("road", description="桥面破损", lat=FUTIAN[0], lon=FUTIAN[1], requested_at=filed)
    )
    deadline = dt.datetime.fromtimestamp(row.deadline_us / 1e6, dt.UTC).astimezone(SZ)
    assert deadline == dt.datetime(2026, 10, 13, 10, 0, tzinfo=SZ)
    urgent = hub.requests.create(
        NewRequest(
            "road",
            description="井盖缺失",
            lat=FUTIAN[0],
            lon=FUTIAN[1],
            requested_at=filed,
            urgency="urgent",
        )
    )
    urgent_deadline = dt.datetime.fromtimestamp(urgent.deadline_us / 1e6, dt.UTC).astimezone(SZ)
    assert urgent_deadline == dt.datetime(2026, 10, 8, 10, 0, tzinfo=SZ)


def test_overdue_requests_escalate_once_per_level(hub: Hub) -> None:
    filed = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    rid = hub.requests.create(
        NewRequest(
            "parking", description="长期占道停车", lat=FUTIAN[0], lon=FUTIAN[1], requested_at=filed
        )
    ).id
    fresh = file(hub, "parking", "占用消防通道")
    assert hub.requests.escalate_overdue() >= 1
    assert hub.requests.get(rid).escalation == 2  # overdue by more than a deadline period
    assert hub.requests.get(fresh).escalation == 0
    assert hub.requests.escalate_overdue() == 0
    actions = [e.action for e in hub.store.requests.request_events(rid)]
    assert actions.count("escalate") == 1


def test_department_rates_count_in_time_answers_and_satisfaction(hub: Hub) -> None:
    now = dt.datetime.now(dt.UTC)
    quick = file(hub, "school", "学位申请咨询")
    hub.requests.act(quick, "accept", "教育局")
    hub.requests.act(quick, "resolve", "教育局")
    hub.requests.follow_up(quick, 5, "回访员")
    late = hub.requests.create(
        NewRequest(
            "school",
            description="校车安全",
            lat=FUTIAN[0],
            lon=FUTIAN[1],
            requested_at=now - dt.timedelta(days=30),
        )
    ).id
    hub.requests.act(late, "accept", "教育局")
    hub.requests.act(late, "resolve", "教育局")
    hub.requests.follow_up(late, 2, "回访员")
    rates = {
        r["department"]: r
        for r in hub.requests.rates(now - dt.timedelta(days=60), now + dt.timedelta(minutes=1))
    }
    education = rates["education"]
    assert education["received"] == 2
    assert education["response_rate"] == 0.5  # the late one answered after its response time
    assert education["resolution_rate"] == 0.5
    assert education["satisfaction_rate"] == 0.5
    assert education["name"]["zh"] == "教育局"


def test_hotline_request_without_a_model_waits_for_a_human(hub: Hub) -> None:
    rid = file(hub, "hotline", "小区电梯经常故障无人维修")
    row = hub.requests.get(rid)
    assert row.status == "received" and row.department is None
    from cityhub.store.citizen_sql import RequestFilter

    queue = hub.store.requests.list_requests(RequestFilter(unrouted=True), 100)
    assert rid in [r.id for r in queue]
    hub.requests.act(rid, "dispatch", "派单员", department="housing")
    assert rid not in [
        r.id for r in hub.store.requests.list_requests(RequestFilter(unrouted=True), 100)
    ]


def test_requested_at_is_stored_as_utc(hub: Hub) -> None:
    filed = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SZ)
    row = hub.requests.create(
        NewRequest("road", description="路面塌陷", lat=FUTIAN[0], lon=FUTIAN[1], requested_at=filed)
    )
    assert row.requested_us == to_us(dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC))
