"""Where the server may connect to on its own: notification endpoints and remote @contexts.

A setting names what is allowed:
- "deny" (or empty, for @contexts): nothing;
- "public" (the default for notifications) or "allow": any host whose every address is a public
  (globally routable) one; loopback, private, link-local (cloud metadata), shared, multicast and
  reserved ranges are refused;
- a comma-separated list of host names, addresses and networks (CIDR): only those, which may be
  internal; add the word "public" to the list to allow public hosts too.

A name is resolved once, every address is checked, and the connection goes to a checked address
(so a DNS answer cannot change between the check and the connection).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from cityhub.errors import BadRequestData

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DENY = ("", "deny", "no", "off", "none")
_PUBLIC = ("public", "allow", "yes", "on", "*")


class OutboundRefused(BadRequestData):
    """A destination the settings do not allow."""


def _address(text: str) -> IPAddress | None:
    try:
        found = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def is_public(address: IPAddress) -> bool:
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Destinations:
    setting: str
    name: str  # the environment variable, for error messages
    default: str = "deny"

    @property
    def _parts(self) -> list[str]:
        text = self.setting.strip() or self.default
        return [p.strip().lower() for p in text.split(",") if p.strip()]

    @property
    def denied(self) -> bool:
        return all(p in _DENY for p in self._parts)

    @property
    def public(self) -> bool:
        return any(p in _PUBLIC for p in self._parts)

    def _listed(self, host: str, address: IPAddress | None) -> bool:
        for part in self._parts:
            if part in _DENY or part in _PUBLIC:
                continue
            if part == host.lower():
                return True
            if address is not None and "/" in part:
                try:
                    if address in ipaddress.ip_network(part, strict=False):
                        return True
                except ValueError:
                    continue
            elif address is not None and _address(part) == address:
                return True
        return False

    def _allowed(self, host: str, address: IPAddress) -> bool:
        return self._listed(host, address) or (self.public and is_public(address))

    def check_host(self, host: str) -> None:
        """What can be said without the network (when a subscription is written)."""
        if self.denied:
            raise OutboundRefused(f"connections to other hosts are off ({self.name})")
        address = _address(host)
        if self._listed(host, address):
            return
        if address is not None:
            if not self._allowed(host, address):
                raise OutboundRefused(
                    f"'{host}' is an internal address; list it in {self.name} to allow it"
                )
            return
        if not self.public:
            raise OutboundRefused(f"connections to '{host}' are not allowed ({self.name})")
        if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
            (".localhost", ".local", ".internal")
        ):
            raise OutboundRefused(f"'{host}' is an internal host; list it in {self.name}")

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` has, each allowed; OutboundRefused otherwise."""
        self.check_host(host)
        literal = _address(host)
        if literal is not None:
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise ConnectionError(f"cannot resolve '{host}': {exc}") from exc
        addresses = []
        for info in infos:
            address = _address(str(info[4][0]))
            if address is None or not self._allowed(host, address):
                raise OutboundRefused(
                    f"'{host}' resolves to an internal address ({info[4][0]}); "
                    f"list it in {self.name} to allow it"
                )
            addresses.append(str(address))
        return list(dict.fromkeys(addresses))


def check_header(key: str, value: str) -> None:
    """A header a client may have us send: a token name, a value without control characters,
    and not one that frames the request."""
    if not key or any(c not in _TOKEN for c in key):
        raise BadRequestData(f"header name {key!r} is not a valid HTTP token")
    if key.lower() in _FRAMING:
        raise BadRequestData(f"header {key} is set by the server")
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
        raise BadRequestData(f"header {key}: control characters (CR, LF, ...) are not allowed")
    if len(key) + len(value) > 8192:
        raise BadRequestData(f"header {key} is too long")


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade"})


def fetch(url: str, destinations: Destinations, timeout: float, cap: int) -> bytes:
    """GET a URL (http/https only) from an allowed, checked address: no redirects followed,
    at most `cap` bytes read. OutboundRefused, or OSError/ValueError for network failures."""
    status, _, body = get(url, destinations, timeout, cap)
    if status != 200:
        raise ValueError(f"HTTP {status} (redirects are not followed)")
    return body


def get(
    url: str,
    destinations: Destinations,
    timeout: float,
    cap: int,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """GET as `fetch` does, with request headers (checked), answering any status: (status,
    headers with lower-case names, body of at most `cap` bytes, ValueError beyond)."""
    return send("GET", url, destinations, timeout, cap, headers)


def send(
    method: str,
    url: str,
    destinations: Destinations,
    timeout: float,
    cap: int,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to an allowed, checked address (no redirects followed): (status,
    headers with lower-case names, answer of at most `cap` bytes, ValueError beyond)."""
    import http.client
    import ssl
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused("only http and https URLs may be fetched")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sent = {"Accept": "application/ld+json, application/json", **(headers or {})}
    for key, value in sent.items():
        check_header(key, value)
    address = destinations.resolve(host, port)[0]
    sock = socket.create_connection((address, port), timeout=timeout)
    try:
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock  # already connected to the checked address
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=sent)
        response = conn.getresponse()
        answer = response.read(cap + 1)
        if len(answer) > cap:
            raise ValueError(f"the answer is larger than {cap} bytes")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
    finally:
        sock.close()
