"""What every HTTP exchange gets, in one pass: NUL characters refused up front (PostgreSQL
cannot store them); NGSI-LD paths with an empty id refused (400, as the API requires); the
NGSILD-Tenant header echoed (NGSI-LD); and the safe-by-default headers — no sniffing, no
framing, no referrer, and a Content-Security-Policy (pages: no inline script, no eval, nothing
from another origin; the API: nothing at all). A route may send a narrower CSP of its own (the
server-made report pages do)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cityhub.api.errors import shaped_error
from cityhub.errors import BadRequestData

PAGE_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    b"form-action 'self'; frame-ancestors 'none'"
)
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
SAFE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


_NGSI = "/ngsi-ld/v1/"
# Collections that take these methods only with an id (or attribute name) after the slash.
# (A name left out after `…/attrs/` is a method the collection does not have: 405, as NGSI-LD
# expects.)
_NEEDS_NAME = {"entities": ("PUT", "PATCH")}


def _empty_ngsi_ld_name(path: str, method: str) -> bool:
    """`/entities//attrs`, `PUT /entities/`: NGSI-LD answers 400, where the router would answer
    404 or redirect to the collection. `path` is as sent (an IRI in it is percent-encoded)."""
    if not path.startswith(_NGSI):
        return False
    rest = path[len(_NGSI) :]
    if rest.startswith(("entities//", "temporal/entities//", "subscriptions//")):
        return True  # the entity (or subscription) id is empty
    if "/attrs//" in rest:
        return True  # the attribute name is empty (…/attrs//{instanceId})
    last = rest.rstrip("/").rsplit("/", 1)[-1]
    return rest.endswith("/") and method in _NEEDS_NAME.get(last, ())


class Envelope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        if b"%00" in raw or b"\x00" in raw or b"%00" in scope.get("query_string", b""):
            # in the error shape of the API asked (Open311's and CKAN's have their own)
            refused = BadRequestData("NUL characters are not allowed")
            response = shaped_error(Request(scope), refused)
            await response(scope, receive, send)
            return
        if _empty_ngsi_ld_name(raw.decode("latin-1"), scope["method"]):
            error = BadRequestData(f"an id or attribute name in {scope['path']} is empty")
            response = shaped_error(Request(scope), error)
            await response(scope, receive, send)
            return
        tenant = next((v for k, v in scope["headers"] if k == b"ngsild-tenant"), None)

        async def send_enveloped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                csp, html = False, False
                for key, value in headers:
                    if key == b"content-security-policy":
                        csp = True
                    elif key == b"content-type":
                        html = value.startswith(b"text/html")
                headers.extend(SAFE_HEADERS)
                if not csp:
                    headers.append((b"content-security-policy", PAGE_CSP if html else API_CSP))
                if tenant is not None:
                    headers.append((b"ngsild-tenant", tenant))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_enveloped)
