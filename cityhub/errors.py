"""The error hierarchy. Each error maps to one RFC 7807 problem type and one HTTP status.

Services raise these; the API renders them as problem+json and the CLI as one line.
"""

from __future__ import annotations

from typing import Any

NGSI_LD_ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


class CityHubError(Exception):
    """Base of every error a client may see."""

    status: int = 500
    type_uri: str = NGSI_LD_ERRORS + "InternalError"
    title: str = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        problem.update(self.extra)
        return problem

    def one_line(self) -> str:
        """The error as the CLI prints it: what went wrong, without the HTTP problem's title
        ("Bad request data: …" means nothing at a terminal)."""
        return f"error: {self.detail}" if self.detail else f"error: {self.title}"


class InvalidRequest(CityHubError):
    status = 400
    type_uri = NGSI_LD_ERRORS + "InvalidRequest"
    title = "Invalid request"


class BadRequestData(CityHubError):
    status = 400
    type_uri = NGSI_LD_ERRORS + "BadRequestData"
    title = "Bad request data"


class PayloadTooLarge(BadRequestData):
    title = "Request body too large"


class Unauthorized(CityHubError):
    status = 401
    type_uri = "https://cityhub.dev/problems/Unauthorized"
    title = "Unauthorized"


class Forbidden(CityHubError):
    status = 403
    type_uri = "https://cityhub.dev/problems/Forbidden"
    title = "Forbidden"


class TooManyResults(CityHubError):
    status = 403
    type_uri = NGSI_LD_ERRORS + "TooManyResults"
    title = "Too many results"


class ResourceNotFound(CityHubError):
    status = 404
    type_uri = NGSI_LD_ERRORS + "ResourceNotFound"
    title = "Resource not found"


class NonexistentTenant(CityHubError):
    status = 404
    type_uri = NGSI_LD_ERRORS + "NonexistentTenant"
    title = "Tenant does not exist"


class MethodNotAllowed(CityHubError):
    status = 405
    type_uri = NGSI_LD_ERRORS + "OperationNotSupported"
    title = "Method not allowed"


class NotAcceptable(CityHubError):
    status = 406
    type_uri = NGSI_LD_ERRORS + "NotAcceptable"
    title = "Not acceptable"


class AlreadyExists(CityHubError):
    status = 409
    type_uri = NGSI_LD_ERRORS + "AlreadyExists"
    title = "Already exists"


class Conflict(CityHubError):
    """The record is not in a state that allows this (an order already finished)."""

    status = 409
    type_uri = "https://cityhub.dev/problems/Conflict"
    title = "Conflict"


class UnsupportedMediaType(CityHubError):
    status = 415
    type_uri = NGSI_LD_ERRORS + "UnsupportedMediaType"
    title = "Unsupported media type"


class OperationNotSupported(CityHubError):
    status = 422
    type_uri = NGSI_LD_ERRORS + "OperationNotSupported"
    title = "Operation not supported"


class LdContextNotAvailable(CityHubError):
    status = 503
    type_uri = NGSI_LD_ERRORS + "LdContextNotAvailable"
    title = "JSON-LD @context not available"


class InvalidContext(BadRequestData):
    type_uri = NGSI_LD_ERRORS + "InvalidRequest"
    title = "Invalid JSON-LD @context"


class ConfigurationError(CityHubError):
    status = 500
    type_uri = "https://cityhub.dev/problems/ConfigurationError"
    title = "Configuration error"


class SchemaTooNew(ConfigurationError):
    title = "Database schema is newer than this cityhub"


def all_error_classes() -> list[type[CityHubError]]:
    """Every concrete error class, for the test that walks each error path."""
    seen: list[type[CityHubError]] = []
    stack: list[type[CityHubError]] = [CityHubError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen
