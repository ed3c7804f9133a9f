"""A lean HTTP/1.1 client for notifications: one kept-alive connection per endpoint.

Notification delivery is a hot path (hundreds of small POSTs per second); a general client
costs about half a millisecond of CPU per request, this one a tenth of that. It sends one
request at a time per connection and reads the answer by Content-Length, chunked encoding,
or until the server closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

from cityhub.outbound import Destinations, check_header

_MAX_HEADER = 64 * 1024
MAX_RESPONSE_BODY = 64 * 1024  # a receiver's answer is read up to this, then the line dropped


class HttpSender:
    def __init__(self, timeout: float, destinations: Destinations | None = None) -> None:
        self.timeout = timeout
        self.destinations = destinations or Destinations("public", "CITYHUB_NOTIFY_HOSTS")
        self._conns: dict[str, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        self._tls = ssl.create_default_context()

    async def post(self, uri: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the status; raises on network errors and time-outs."""
        return await asyncio.wait_for(self._post(uri, body, headers), self.timeout)

    async def _post(self, uri: str, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(uri)
        secure = parts.scheme == "https"
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if secure else 80)
        origin = uri  # one connection per endpoint: each endpoint has one request in flight
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            f"Content-Length: {len(body)}",
            "Connection: keep-alive",
        ]
        for key, value in headers.items():
            check_header(key, value)  # validated when stored too; never trust a queue row
        lines += [f"{k}: {v}" for k, v in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            reader, writer = await self._connection(origin, host, port, secure)
            try:
                writer.write(request)
                await writer.drain()
                status, keep = await self._response(reader)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self._drop(origin)
                if attempt == 2:
                    raise ConnectionError(str(exc)) from exc
                continue
            except BaseException:
                self._drop(origin)
                raise
            if not keep:
                self._drop(origin)
            return status
        raise ConnectionError("unreachable")

    async def _connection(
        self, origin: str, host: str, port: int, secure: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        conn = self._conns.get(origin)
        if conn is None or conn[1].is_closing():
            loop = asyncio.get_running_loop()
            addresses = await loop.run_in_executor(None, self.destinations.resolve, host, port)
            conn = await asyncio.open_connection(
                addresses[0],
                port,
                ssl=self._tls if secure else None,
                server_hostname=host if secure else None,
            )
            self._conns[origin] = conn
        return conn

    async def _response(self, reader: asyncio.StreamReader) -> tuple[int, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEADER:
            raise ConnectionError("response headers too large")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status = status_line.split(" ", 2)[:2]
        fields = {}
        for line in header_lines:
            if ":" in line:
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip().lower()
        code = int(status)
        keep = version == "HTTP/1.1" and fields.get("connection") != "close"
        if code in (204, 304) or 100 <= code < 200:
            return code, keep
        # The answer's body is not needed: read a little of it to keep the connection, drop the
        # connection rather than read a large one.
        if "content-length" in fields:
            length = int(fields["content-length"]) if fields["content-length"].isdecimal() else -1
            if not 0 <= length <= MAX_RESPONSE_BODY:
                return code, False
            await reader.readexactly(length)
        elif "chunked" in fields.get("transfer-encoding", ""):
            seen = 0
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                seen += size
                if seen > MAX_RESPONSE_BODY:
                    return code, False
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        else:  # the body runs to the end of the connection: do not wait for it
            keep = False
        return code, keep

    def _drop(self, origin: str) -> None:
        conn = self._conns.pop(origin, None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn[1].close()

    async def close(self) -> None:
        for origin in list(self._conns):
            self._drop(origin)
