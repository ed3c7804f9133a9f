"""Key management: list, revoke (refused within a second), rotate, expiry, tenants; the CLI;
the dashboard session ends with its key."""

from __future__ import annotations

import datetime as dt
import time

import httpx
from click.testing import CliRunner

from cityhub.auth.keys import create_key
from cityhub.cli import main
from cityhub.store.records import ApiKey
from tests.security.conftest import City

LIGHT = {
    "id": "urn:ngsi-ld:Streetlight:k",
    "type": "Streetlight",
    "powerState": {"type": "Property", "value": "on"},
}


def _write(city: City, secret: str) -> int:
    headers = {"X-Api-Key": secret}
    r = httpx.post(city.base + "/ngsi-ld/v1/entities", json=LIGHT, headers=headers)
    httpx.delete(city.base + f"/ngsi-ld/v1/entities/{LIGHT['id']}", headers=headers)
    return r.status_code


def test_a_revoked_key_is_refused_within_a_second(city: City) -> None:
    key_id, secret = create_key(city.hub.store, "transport", "staff")
    assert _write(city, secret) == 201
    city.hub.store.keys.revoke(key_id)  # as `cityhub keys revoke` does, from another process
    time.sleep(1.0)
    assert _write(city, secret) == 401


def test_a_rotated_key_has_a_new_secret_only(city: City) -> None:
    from cityhub.auth.keys import rotate_key

    key_id, old = create_key(city.hub.store, "transport", "staff")
    new = rotate_key(city.hub.store, key_id)
    time.sleep(1.0)
    assert _write(city, old) == 401
    assert _write(city, new) == 201


def test_an_expired_key_is_refused(city: City) -> None:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    from cityhub.auth.keys import hash_secret

    city.hub.store.keys.add(
        ApiKey("key_expired", "transport", "staff", "", ("",), past),
        hash_secret("chk_expired-secret"),
    )
    assert _write(city, "chk_expired-secret") == 401


def test_the_dashboard_session_ends_with_its_key(city: City) -> None:
    key_id, secret = create_key(city.hub.store, "hotline", "staff")
    with httpx.Client(base_url=city.base) as browser:
        r = browser.post("/dashboard/v1/session", json={"key": secret})
        assert r.status_code == 201 and "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()
        assert browser.get("/dashboard/v1/citizen").status_code == 200
        assert browser.get("/dashboard/v1/session").json()["department"] == "hotline"
        city.hub.store.keys.revoke(key_id)
        time.sleep(1.0)
        assert browser.get("/dashboard/v1/citizen").status_code == 401
    with httpx.Client(base_url=city.base) as browser:
        bad = browser.post("/dashboard/v1/session", json={"key": "chk_not-a-key"})
        assert bad.status_code == 401 and "set-cookie" not in bad.headers


def test_keys_cli_creates_lists_rotates_and_revokes(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    runner = CliRunner()
    made = runner.invoke(
        main,
        [
            "keys",
            "create",
            "--department",
            "transport",
            "--tenant",
            "rtA",
            "--tenant",
            "",
            "--days",
            "30",
            "--database",
            url,
        ],
    )
    assert made.exit_code == 0, made.output
    key_id, secret = made.output.split()
    listed = runner.invoke(main, ["keys", "list", "--database", url])
    assert key_id in listed.output and "rtA" in listed.output and "live" in listed.output
    rotated = runner.invoke(main, ["keys", "rotate", key_id, "--database", url])
    assert rotated.exit_code == 0 and secret not in rotated.output
    revoked = runner.invoke(main, ["keys", "revoke", key_id, "--database", url])
    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(main, ["keys", "list", "--database", url]).output
    again = runner.invoke(main, ["keys", "revoke", key_id, "--database", url])
    assert again.exit_code != 0 and again.output.startswith("error:")
    bad = runner.invoke(
        main, ["keys", "create", "--department", "x", "--tenant", "bad tenant!", "--database", url]
    )
    assert bad.exit_code != 0 and bad.output.startswith("error:")
