import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from allauth.account.models import EmailAddress

from shop.accounts.privacy_services import legal_accept_current
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "tests.support.urls"


def make_member(*, email: str | None = None, display_name: str = "山田 花子", **kwargs):
    user = UserFactory(display_name=display_name, **({"email": email} if email else {}), **kwargs)
    legal_accept_current(user=user)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def member(db):
    return make_member(email="hanako@example.jp")


@pytest.fixture
def other_member(db):
    return make_member(email="taro@example.jp", display_name="鈴木 太郎")


@pytest.fixture
def staff(db):
    return UserFactory(email="support-staff@example.jp", display_name="サポート担当", is_staff=True, is_superuser=True)


@dataclass
class LineStub:
    """A local stand-in for the LINE Messaging API: records every request and answers 200 (or `status`)."""

    url: str
    requests: list[dict] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def line_stub(settings):
    recorded: list[dict] = []
    stub = LineStub(url="", requests=recorded)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            recorded.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body or b"{}")})
            payload = json.dumps({"sentMessages": [{"id": "1", "quoteToken": "q"}]} if stub.status == 200 else {})
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.LINE_API_HOST = stub.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = "test-line-token"
    yield stub
    server.shutdown()
    server.server_close()
