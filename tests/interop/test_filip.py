"""FiLiP (RWTH-EBC, from PyPI), the FIWARE Python library, against a real server on both stores:
its NGSI-LD client's version call, CRUD, batches, query, subscriptions and its own cleanup."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import Server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
# FiLiP lives in its own environment (make build/filip-venv/.installed; `make test` makes it).
FILIP_PYTHON = ROOT / "build" / "filip-venv" / "bin" / "python"
SESSION = ROOT / "tests" / "interop" / "filip_session.py"


def test_filip_session(server: Server) -> None:
    assert FILIP_PYTHON.exists(), "FiLiP's environment is missing: make build/filip-venv/.installed"
    tenant = "filip" + uuid.uuid4().hex[:6]
    done = subprocess.run(
        [str(FILIP_PYTHON), str(SESSION), server.base, tenant, "http://127.0.0.1:9/notify"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["version"]["cityhub version"] and seen["version"]["ngsi-ld"]
    assert seen["retrieved"]["value"] == 30.0
    assert seen["listed"] == ["1", "2", "3", "4", "5", "6"]
    assert seen["high"] == ["2", "3", "6"]  # 2 and 3 upserted to 99
    assert seen["updated"]["value"] == 12.5
    assert seen["subscriptions"] == ["urn:ngsi-ld:Subscription:filip-1"]
    assert seen["after_clear"] == {"entities": 0, "subscriptions": 0}
