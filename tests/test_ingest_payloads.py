"""Device payload parsing: IoT-agent JSON and UltraLight 2.0."""

from __future__ import annotations

import pytest

from cityhub.ingest.mqtt_bridge import parse_topic
from cityhub.ingest.payloads import PayloadError, parse_json, parse_ul


def test_ultralight_groups_and_timestamps() -> None:
    assert parse_ul(b"t|15|h|70") == [{"t": 15, "h": 70}]
    assert parse_ul(b"t|15.5#s|\xe5\xbc\x80") == [{"t": 15.5}, {"s": "开"}]
    assert parse_ul(b"2026-11-24T08:00:00+08:00|t|1") == [
        {"TimeInstant": "2026-11-24T08:00:00+08:00", "t": 1}
    ]


@pytest.mark.parametrize("bad", [b"", b"t|15|h", b"|1", b"\xff\xfe"])
def test_bad_ultralight_is_a_payload_error(bad: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_ul(bad)


def test_json_object_array_and_single_attribute() -> None:
    assert parse_json(b'{"t": 21}') == [{"t": 21}]
    assert parse_json(b'[{"t": 1}, {"t": 2}]') == [{"t": 1}, {"t": 2}]
    assert parse_json(b"21.5", object_id="t") == [{"t": 21.5}]


@pytest.mark.parametrize("bad", [b"{", b"[]", b"[1, 2]", b"{}", b'"x"'])
def test_bad_json_is_a_payload_error(bad: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_json(bad)


def test_topics() -> None:
    m = parse_topic("/json/key1/dev1/attrs")
    assert m is not None and (m.apikey, m.device_id, m.fmt, m.object_id) == (
        "key1",
        "dev1",
        "json",
        None,
    )
    m = parse_topic("/json/key1/dev1/attrs/t")
    assert m is not None and m.object_id == "t"
    m = parse_topic("/ul/key1/dev1/attrs")
    assert m is not None and m.fmt == "ul"
    m = parse_topic("/key1/dev1/attrs")
    assert m is not None and (m.apikey, m.fmt) == ("key1", "json")
    assert parse_topic("/key1/dev1/cmd") is None and parse_topic("key/dev/attrs") is None
