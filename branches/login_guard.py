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

A per-username lock can be set off by anyone who knows the name. So that a stranger's failures
do not lock a person out of the browser they use, the login page leaves a signed device cookie
after a successful sign-in (OWASP's "device cookies"): an attempt on that account carrying it is
counted against that device alone (the same limit), not against the account. Everyone else —
another browser, the API token endpoint, a stolen or forged cookie for another name — is counted
per username as before. The cookie proves nothing about the password; it only says which counter
an attempt draws on, and the per-address counter applies to it too.
"""
from __future__ import annotations

import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import get_random_string
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


DEVICE_COOKIE = "hrsaas_device"
_DEVICE_SALT = "hrsaas.login-device"
_DEVICE_AGE = 365 * 24 * 3600
_DEVICE_NAMES = 5  # accounts one browser remembers (a shared office PC): the oldest is forgotten
_DEVICES_PER_ACCOUNT = 5  # browsers one account remembers: the oldest is forgotten


def _devices(request) -> dict[str, str]:
    """{normalised username: device nonce} from the request's cookie; {} when absent or forged."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = signing.loads(raw, salt=_DEVICE_SALT, max_age=_DEVICE_AGE)
    except signing.BadSignature:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _live_key(username) -> str:
    return f"login-devices:{_username(username)}"


def _device_key(request, username) -> str | None:
    """The counter of this browser for this account: only for a nonce the account still
    remembers (a browser it signed in on lately, not since forgotten — by a password change, or
    because five newer browsers came after it)."""
    nonce = _devices(request).get(_username(username))
    if not nonce or nonce not in (cache.get(_live_key(username)) or []):
        return None
    return f"login-failures:device:{nonce}"


def remember_device(request, response, username) -> None:
    """After a successful sign-in on the login page: this browser's later attempts on the account
    are counted apart from a stranger's. A browser keeps its nonce; an account remembers its
    last five browsers."""
    devices = _devices(request)
    name = _username(username)
    live = list(cache.get(_live_key(name)) or [])
    nonce = devices.pop(name, None)
    if nonce not in live:
        nonce = get_random_string(24)
    live = ([n for n in live if n != nonce] + [nonce])[-_DEVICES_PER_ACCOUNT:]
    cache.set(_live_key(name), live, _DEVICE_AGE)
    devices[name] = nonce
    devices = dict(list(devices.items())[-_DEVICE_NAMES:])
    response.set_cookie(DEVICE_COOKIE, signing.dumps(devices, salt=_DEVICE_SALT), max_age=_DEVICE_AGE,
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")


def forget_devices(username) -> None:
    """A new password: no browser is trusted on the account's word any more."""
    cache.delete(_live_key(username))


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds


def _window() -> int:
    return settings.LOGIN_FAILURE_WINDOW


def check(request, username, *, device: bool = False) -> Refusal | None:
    """None when this attempt may go ahead; else why not and for how long. `device`: the login
    page, where a remembered browser is counted on its own (the token endpoint never is).

    The attempt is counted here, before its password is tried, by one atomic increment of each
    counter: counting only after a failure let attempts sent at the same moment all pass the
    check before any was counted (30 at once gave 7 password checks against a limit of 5).
    A success takes its count back (`record_success`)."""
    own = (device and _device_key(request, username)) or _user_key(username)
    over_user = _bump(own) > settings.LOGIN_MAX_FAILURES
    over_address = _bump(_address_key(client_address(request))) > settings.LOGIN_MAX_FAILURES_PER_ADDRESS
    if not (over_user or over_address):
        return None
    minutes = max(1, math.ceil(_window() / 60))
    return Refusal(_("登录失败次数过多,请 %(m)d 分钟后再试。") % {"m": minutes}, _window())


def _bump(key: str) -> int:
    """The counter after this attempt (created for the window on the first)."""
    if cache.add(key, 1, _window()):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, _window())
        return 1


def record_success(request, username, *, device: bool = False) -> None:
    # The address counter stays: a success on one's own account must not reset what the same
    # address did against others.
    # From a remembered device only that device's counter: a stranger's failures on the account
    # stay counted against everyone else.
    cache.delete((device and _device_key(request, username)) or _user_key(username))
    try:  # the attempt counted by `check` was no failure of this address
        cache.decr(_address_key(client_address(request)))
    except ValueError:  # the window ended meanwhile
        pass
