"""Property-based run of the published OpenAPI against a real server: no 5xx, no schema breaks."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth

from tests.conftest import Server

pytestmark = pytest.mark.e2e


class FileBody:
    """Uploaded files (indicator series) are sent as the raw request body."""

    def as_requests(self, context: object, value: object) -> dict[str, bytes]:
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        return {"data": raw}

    def as_werkzeug(self, context: object, value: object) -> dict[str, bytes]:
        return self.as_requests(context, value)


schemathesis.serializer("text/csv")(FileBody)
for _media in (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/geo+json",
    "application/vnd.apache.parquet",
):
    schemathesis.serializer(_media)(FileBody)


@pytest.fixture
def api_schema(server: Server) -> schemathesis.schemas.BaseSchema:
    return schemathesis.from_uri(server.base + "/openapi.json", base_url=server.base)


schema = schemathesis.from_pytest_fixture("api_schema")


# The dashboard's event stream stays open by design: there is no response to validate.
@schema.exclude(path="/dashboard/v1/events").parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors_and_keeps_its_schema(case: schemathesis.Case) -> None:
    # Schemathesis fills the declared security schemes with random values (control characters
    # in a header, which the HTTP server itself refuses before the app sees them): the run stays
    # anonymous, as the authorization matrix covers keys (tests/security/test_matrix.py).
    for header in ("Authorization", "X-Api-Key"):
        (case.headers or {}).pop(header, None)
    (case.cookies or {}).pop("cityhub_session", None)
    (case.query or {}).pop("api_key", None)
    # The server here holds no key, so it is a development store where every rule passes (see
    # the README's Security section): that the documented keys are enforced is the matrix's
    # check on a secured city, not this run's.
    case.call_and_validate(timeout=20, excluded_checks=(ignored_auth,))
