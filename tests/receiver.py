"""A real HTTP notification receiver on loopback, recording what it is sent."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from typing import Any


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.fail_first = fail_first
        self._cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with outer._cond:
                    if outer.fail_first > 0:
                        outer.fail_first -= 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    outer.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
                    outer._cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/notify"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return [b for b, _ in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class Silent:
    """An endpoint that accepts connections and never answers."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/never"

    def close(self) -> None:
        self._sock.close()
