"""Where a branch's webhook may point, checked when it is saved and again when it is sent.

A branch manager types the URL; the worker posts every notification to it. Without a check
that is a way into our network (SSRF): loopback, Redis on 6379, the cloud metadata address
(169.254.169.254), a private service. So a webhook must be

- `https://qyapi.weixin.qq.com/…` (WeCom's group robots), or
- https on the default port (443) to a host whose every address is public: not private,
  loopback, link-local, multicast, reserved, unspecified or shared (100.64/10) — IPv4 or IPv6,
  including IPv4 hidden in IPv6 (::ffff:127.0.0.1, 6to4, Teredo, NAT64);

and no user:password in it. At send the host is resolved again and every address checked,
then the connection goes to the address that was checked (with the host name in SNI, the
certificate check and Host), so a DNS answer that changes between check and connect
(rebinding) cannot redirect it. Redirects are never followed: a 3xx is a failed delivery.

`settings.WEBHOOK_ALLOWED_NETWORKS` (env, CIDRs, empty by default) lets an operator allow an
internal relay: an address inside one of those networks is accepted with http or https on any
port. The test suite's worker uses it for its loopback server.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

WECOM_HOST = "qyapi.weixin.qq.com"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


class UnsafeWebhook(ValueError):
    """The URL may not be used; `message` says why in the users' words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    address: str = ""  # the checked address the connection goes to (filled at send)


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])]


def is_public(ip) -> bool:
    """True when `ip` is an ordinary Internet address (and so is any IPv4 inside an IPv6)."""
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d
            return is_public(ip.ipv4_mapped)
        inner = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and not is_public(inner):
            return False
        if ip.is_site_local:
            return False
    elif ip in _SHARED:
        return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this: no traffic leaves the machine)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def parse(url: str) -> Target:
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise UnsafeWebhook(_("Webhook 地址格式不正确。")) from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("https", "http") or not host:
        raise UnsafeWebhook(_("Webhook 地址须以 https:// 开头。"))
    try:  # a Chinese domain name travels as its IDNA (xn--) form in DNS, SNI and Host
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise UnsafeWebhook(_("Webhook 地址格式不正确。")) from None
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhook(_("Webhook 地址中不能包含用户名或密码。"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path)


def _literal(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _check_address(target: Target, address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if any(ip in net for net in _allowed_networks()):
        return  # an operator's internal relay: any scheme and port
    if not is_public(ip):
        raise UnsafeWebhook(_("Webhook 只能指向企业微信或公网地址,不能指向内网、本机或保留地址。"))
    _check_https(target)


def _check_https(target: Target) -> None:
    if target.scheme != "https":
        raise UnsafeWebhook(_("Webhook 地址须以 https:// 开头。"))
    if target.port != 443:
        raise UnsafeWebhook(_("Webhook 只能使用 https 的默认端口(443)。"))


def _addresses(target: Target) -> list[str]:
    literal = _literal(target.host)
    if literal is not None:
        return [str(literal)]
    try:
        addresses = resolve_host(target.host, target.port)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeWebhook(_("无法解析 Webhook 地址中的域名。")) from None
    if not addresses:
        raise UnsafeWebhook(_("无法解析 Webhook 地址中的域名。"))
    return addresses


def check_for_save(url: str) -> str:
    """The URL (stripped) when a manager may save it; UnsafeWebhook otherwise. WeCom's host is
    taken by name (it is resolved at send); any other host must resolve to allowed addresses."""
    target = parse(url)
    if target.host == WECOM_HOST:
        _check_https(target)
    else:
        for address in _addresses(target):
            _check_address(target, address)
    return url.strip()


def check_for_send(url: str) -> Target:
    """The target with the one checked address to connect to; UnsafeWebhook otherwise. Every
    address of the host must pass, so an answer mixing a public and a private one is refused."""
    target = parse(url)
    addresses = _addresses(target)
    for address in addresses:
        _check_address(target, address)
    return Target(target.scheme, target.host, target.port, target.path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the address connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, *, content_type: str, timeout: float, limit: int = 64 * 1024) -> tuple[int, bytes]:
    """POST `body` to a checked webhook: (status, at most `limit` bytes of the answer). Raises
    UnsafeWebhook for a URL that may not be used and OSError for network failures. A redirect
    is returned as its status, never followed."""
    target = check_for_send(url)
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = cls(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        return response.status, response.read(limit)
    finally:
        conn.close()
