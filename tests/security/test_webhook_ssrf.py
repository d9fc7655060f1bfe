"""SSRF through the branch webhook (issue #23). The attack: a branch manager saved a webhook on
loopback/private/link-local addresses (Redis's port too); the worker posted every notification
there and followed redirects. Now a webhook is WeCom's host or a public https address, checked
when saved and again when sent (notifications/webhooks.py).

No traffic leaves this machine: host names are answered by a replaced resolver, and the only
servers are loopback ones started here."""
from __future__ import annotations

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications import services, webhooks
from notifications.models import ChannelConfig, Delivery, Notification
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SETTINGS_PAGE = "/b/bj/settings/notifications/"
PUBLIC = "93.184.216.34"
DNS = {  # what the replaced resolver answers
    "hooks.example.com": [PUBLIC],
    "localhost": ["127.0.0.1", "::1"],
    "internal.example.com": ["10.1.2.3"],
    "rebind.example.com": [PUBLIC, "127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
}


@pytest.fixture
def resolver(monkeypatch):
    """Names from DNS above; a numeric host ("2130706433") as the C library reads it, which
    needs no network (AI_NUMERICHOST); anything else does not resolve."""
    asked = []

    def resolve(host, port):
        asked.append(host)
        if host in DNS:
            return list(DNS[host])
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return [info[4][0] for info in infos]

    monkeypatch.setattr(webhooks, "resolve_host", resolve)
    return asked


class Server:
    """A loopback HTTP server answering every POST with `status` (and `location`), recording
    the requests it got."""

    def __init__(self, status=200, location=""):
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append({"path": self.path, "host": self.headers.get("Host")})
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

            def do_GET(self):  # what a followed 301/302/303 would send
                server.requests.append({"path": self.path, "host": self.headers.get("Host"), "method": "GET"})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made = []

    def make(**kw):
        made.append(Server(**kw))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("10.0.0.5", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("239.255.255.250", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("2002:7f00:1::", False), ("64:ff9b::a00:1", False),
    ("fec0::1", False),
    (PUBLIC, True), ("1.1.1.1", True), ("2606:4700:4700::1111", True), ("::ffff:93.184.216.34", True),
])
def test_which_addresses_are_public(address, public):
    assert webhooks.is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:6379/", "内网"),
    ("https://127.0.0.1/cgi-bin/webhook/send", "内网"),
    ("https://127.0.0.1:6379/", "内网"),
    ("https://localhost/hook", "内网"),
    ("https://10.0.0.5/hook", "内网"),
    ("https://internal.example.com/hook", "内网"),
    ("https://169.254.169.254/latest/meta-data/", "内网"),
    ("https://metadata.example.com/", "内网"),
    ("https://[::1]/hook", "内网"),
    ("https://[::ffff:127.0.0.1]/hook", "内网"),
    ("https://[fe80::1]/hook", "内网"),
    ("https://224.0.0.1/hook", "内网"),
    ("https://0.0.0.0/hook", "内网"),
    ("https://2130706433/hook", "合法"),  # 127.0.0.1 as one number: not even a URL to the form
    ("https://rebind.example.com/hook", "内网"),  # one public and one loopback answer
    ("http://hooks.example.com/hook", "https://"),
    ("https://hooks.example.com:8443/hook", "443"),
    ("https://qyapi.weixin.qq.com:6379/cgi-bin/webhook/send", "443"),
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https://"),
    ("https://user:secret@hooks.example.com/hook", "用户名"),
    ("https://unknown.invalid/hook", "无法解析"),
])
def test_a_manager_cannot_save_a_webhook_into_our_network(client, branches, resolver, url, reason):
    manager = make_user("ssrf.mgr", ("bj", "branch_manager"))
    client.force_login(manager)

    page = client.post(SETTINGS_PAGE, {"webhook_url": url, "email_enabled": "on"})

    assert page.status_code == 200
    assert reason in page.content.decode()
    with in_branch("bj"):
        assert ChannelConfig.current().webhook_url == ""
        assert ChannelConfig.current().email_enabled is True  # nothing of the form was saved


@pytest.mark.parametrize("url", [
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    "https://hooks.example.com/hook",
    "https://hooks.example.com:443/hook",
])
def test_wecom_and_public_https_webhooks_are_saved(client, branches, resolver, url):
    client.force_login(make_user("ssrf.mgr2", ("bj", "branch_manager")))

    assert client.post(SETTINGS_PAGE, {"webhook_url": url}).status_code == 302
    with in_branch("bj"):
        assert ChannelConfig.current().webhook_url == url
    assert "qyapi.weixin.qq.com" not in resolver  # WeCom's host is taken by name when saved


def _deliver_to(url: str):
    user = make_user(None, ("bj", "specialist"))
    with in_branch("bj"):
        # As if the URL had reached the database without the save check (older data, a script).
        ChannelConfig.objects.update_or_create(pk=1, defaults={"webhook_url": url, "email_enabled": False})
        note = Notification.objects.create(recipient_id=user.pk, title="您的开户奖励1200元已到账")
        outcome = services.notification_deliver(notification_id=note.pk)
        return outcome, Delivery.objects.get(notification=note)


def test_loopback_is_refused_at_send_even_when_it_is_in_the_database(servers, resolver):
    server = servers()
    checked = 0
    for url in (f"http://127.0.0.1:{server.port}/cgi-bin/webhook/send", f"https://127.0.0.1:{server.port}/x",
                f"http://localhost:{server.port}/x", f"http://[::ffff:127.0.0.1]:{server.port}/x",
                f"http://2130706433:{server.port}/x"):
        outcome, delivery = _deliver_to(url)

        assert outcome == {"webhook": "failed"}, url
        assert "refused" in delivery.last_error and delivery.attempts == 1
        checked += 1
    assert checked == 5
    assert server.requests == [], "not one request may reach the loopback server"


def test_a_name_that_resolves_inside_after_it_was_saved_is_refused_at_send(client, branches, servers, resolver, monkeypatch):
    client.force_login(make_user("ssrf.mgr3", ("bj", "branch_manager")))
    assert client.post(SETTINGS_PAGE, {"webhook_url": "https://hooks.example.com/hook"}).status_code == 302
    monkeypatch.setitem(DNS, "hooks.example.com", ["127.0.0.1"])  # the record changes after the check
    connects = []
    monkeypatch.setattr(webhooks.socket, "create_connection", lambda *a, **k: connects.append(a) or None)

    user = make_user(None, ("bj", "specialist"))
    with in_branch("bj"):
        note = Notification.objects.create(recipient_id=user.pk, title="理赔已驳回")
        outcome = services.notification_deliver(notification_id=note.pk)
        assert "refused" in Delivery.objects.get(notification=note).last_error

    assert outcome == {"webhook": "failed"}
    assert connects == []


def test_the_connection_goes_to_the_address_that_was_checked(settings, servers, resolver, monkeypatch):
    """DNS rebinding: a second lookup would answer 10.9.9.9; the request still reaches the
    checked address, with the name as its Host."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # an operator's relay on loopback
    server = servers()
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    monkeypatch.setattr(webhooks, "resolve_host", lambda host, port: next(answers))

    outcome, delivery = _deliver_to(f"http://relay.example.com:{server.port}/cgi-bin/webhook/send?key=k")

    assert outcome == {"webhook": "sent"}, delivery.last_error
    assert server.requests == [{"path": "/cgi-bin/webhook/send?key=k", "host": f"relay.example.com:{server.port}"}]


def test_redirects_are_not_followed(settings, servers, resolver):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    inside = servers()
    checked = 0
    for status in (301, 302, 303, 307, 308):
        redirecting = servers(status=status, location=f"http://127.0.0.1:{inside.port}/internal")

        outcome, delivery = _deliver_to(f"http://127.0.0.1:{redirecting.port}/hook")

        assert outcome == {"webhook": "failed"}, status
        assert f"HTTP {status}" in delivery.last_error
        assert len(redirecting.requests) == 1
        checked += 1
    assert checked == 5
    assert inside.requests == []
