"""A stand-in for the LINE Messaging API: a real HTTP server in a thread that records every request.

It answers like LINE: 200 with sentMessages, 409 for a retry key it has already accepted, and any status the test
asks for (`fail_next(3)` makes the next three pushes answer 500).
"""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class StubRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    status: int = 0

    @property
    def json(self):
        return json.loads(self.raw_body)


class LineStub:
    def __init__(self):
        self.requests: list[StubRequest] = []
        self.accepted_retry_keys: set[str] = set()
        self._failures: list[int] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub._handle(self, StubRequest("POST", self.path, dict(self.headers.items()), body))

            def do_GET(self):
                stub._handle_get(self)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LineStub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures += [status] * count

    @property
    def pushes(self) -> list[StubRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == "/v2/bot/message/push"]

    @property
    def delivered(self) -> list[StubRequest]:
        """Pushes LINE would have delivered (answered 200)."""
        with self._lock:
            return [request for request in self.requests if request.status == 200]

    def _handle_get(self, handler) -> None:
        """GET /v2/bot/info, the read-only call `check_integrations` makes; it needs the bearer token."""
        ok = handler.path == "/v2/bot/info" and handler.headers.get("Authorization", "").startswith("Bearer ")
        body = (
            json.dumps({"userId": "Ubot", "basicId": "@tsunagu", "displayName": "Tsunagu Shop", "chatMode": "chat",
                        "markAsReadMode": "auto"})
            if ok else json.dumps({"message": "not found"})
        ).encode()  # fmt: skip
        handler.send_response(200 if ok else 404)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler, request: StubRequest) -> None:
        with self._lock:
            self.requests.append(request)
            retry_key = request.headers.get("X-Line-Retry-Key", "")
            if self._failures:
                status = self._failures.pop(0)
                payload = {"message": "The stub was told to fail"}
            elif retry_key and retry_key in self.accepted_retry_keys:
                status = 409
                payload = {"message": "The retry key is already accepted"}
            else:
                status = 200
                if retry_key:
                    self.accepted_retry_keys.add(retry_key)
                payload = {"sentMessages": [{"id": str(len(self.requests)), "quoteToken": "q"}]}
            request.status = status
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
