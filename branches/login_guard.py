"""Sign-in throttling, one implementation for the login page and the API token endpoint.

Failed sign-ins are counted in the shared cache twice: per username (from any address — so a
password cannot be guessed by spreading attempts over addresses) and per client address (over
any username — so one address cannot spray a common password over many accounts). Past either
limit, every attempt is refused for the rest of the window, even with the right password; a
success clears that username's counter only.

The client address is REMOTE_ADDR. `X-Forwarded-For` is believed only when the connection comes
from one of `settings.TRUSTED_PROXIES`: then the address is the right-most one in that header
that is not itself a trusted proxy (everything left of it the client may have written). Nothing
in the request — a header, a token, a session — turns the throttle off.
"""
from __future__ import annotations

import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request) -> str:
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a garbled header from behind our own proxy: use the proxy itself
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote


def _username(username) -> str:
    # As the sign-in compares it: Django's login form NFKC-normalises the username (ｂj.s6 signs
    # in as bj.s6), so every compatibility spelling must count against the same account.
    return unicodedata.normalize("NFKC", str(username or "")).strip().lower()[:150]


def _user_key(username: str) -> str:
    return f"login-failures:user:{_username(username)}"


def _address_key(address: str) -> str:
    return f"login-failures:addr:{address}"


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds


def _window() -> int:
    return settings.LOGIN_FAILURE_WINDOW


def check(request, username) -> Refusal | None:
    """None when this attempt may go ahead; else why not and for how long."""
    counts = cache.get_many([_user_key(username), _address_key(client_address(request))])
    over_user = (counts.get(_user_key(username)) or 0) >= settings.LOGIN_MAX_FAILURES
    over_address = (counts.get(_address_key(client_address(request))) or 0) >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    if not (over_user or over_address):
        return None
    minutes = max(1, math.ceil(_window() / 60))
    return Refusal(_("登录失败次数过多,请 %(m)d 分钟后再试。") % {"m": minutes}, _window())


def _bump(key: str) -> None:
    if not cache.add(key, 1, _window()):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, _window())


def record_failure(request, username) -> None:
    _bump(_user_key(username))
    _bump(_address_key(client_address(request)))


def record_success(request, username) -> None:
    # The address counter stays: a success on one's own account must not reset what the same
    # address did against others.
    cache.delete(_user_key(username))
