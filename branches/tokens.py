"""API tokens that end: idle timeout, absolute lifetime, revocation.

`POST /api/v1/auth/token/ {username, password}` issues a new token per sign-in (several devices
each hold their own). A token is refused once it has not been used for
`API_TOKEN_IDLE_TIMEOUT` seconds, after its `expires_at` (`API_TOKEN_MAX_AGE` after issue), or
once revoked: by `POST /api/v1/auth/token/revoke/`, a web logout, a new password or a
deactivation (`User.save`). Only the SHA-256 digest of a key is stored.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .audit import stamp

# last_used_at is written at most this often per token (each request would otherwise write).
_TOUCH_EVERY = dt.timedelta(seconds=60)


def new_key() -> str:
    return secrets.token_hex(20)  # 40 hex characters, as DRF's keys


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.API_TOKEN_MAX_AGE)


def idle_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.API_TOKEN_IDLE_TIMEOUT)


def token_issue(*, user):
    """A new token for `user` (already authenticated); `.key` holds the clear key once."""
    from .models import ApiToken

    now = timezone.now()
    # Rows long dead are dropped here, so that a script signing in often does not pile them up.
    ApiToken.objects.filter(user=user, expires_at__lt=now - dt.timedelta(days=30)).delete()
    token = ApiToken(user=user, created_at=now, last_used_at=now, expires_at=now + token_lifetime())
    stamp(token, actor=user, reason="API 登录")
    token.save()
    return token


def token_ends_at(token) -> dt.datetime:
    """When this token stops working if it is not used again."""
    return min(token.expires_at, token.last_used_at + idle_timeout())


def tokens_revoke(*, user, reason: str, actor=None, token=None) -> int:
    """Revoke `token`, or every live token of `user`; audited; returns how many."""
    from .models import ApiToken

    qs = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if token is not None:
        qs = qs.filter(pk=token.pk)
    now = timezone.now()
    count = 0
    for row in qs:
        row.revoked_at, row.revoke_reason = now, reason[:100]
        stamp(row, actor=actor, reason=f"撤销令牌:{reason}")
        row.save(update_fields=["revoked_at", "revoke_reason"])
        count += 1
    return count


@receiver(user_logged_out)
def _end_tokens_on_logout(sender, request, user, **kwargs):
    if user is not None and user.pk:
        tokens_revoke(user=user, reason="logout", actor=user)


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as before, for live tokens only.

    The token row, its person and the person's roles are kept prepared per token digest
    (hrsaas/core/prepared.py, scope `tk:<digest>`): a request reads them in one Redis round trip
    instead of two queries. Any save or delete of the token (revocation), of its person
    (deactivation, password, names, superuser) or of one of the person's roles invalidates the
    entry in the writing transaction, so a revoked token is refused by the very next request.
    The checks below (revoked, expired, idle, inactive) run on every request either way."""

    def authenticate(self, request):
        # What BranchSubfolderMiddleware already read with the branch's route (one round trip).
        self._prefetched = getattr(getattr(request, "_request", request), "_prepared_token", None)
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        token, ticket = _token_lookup(digest_of(key), getattr(self, "_prefetched", None))
        if token is None:
            raise AuthenticationFailed(_("认证令牌无效。"))
        now = timezone.now()
        if token.revoked_at is not None or now >= token_ends_at(token):
            raise AuthenticationFailed(_("认证令牌已过期或已撤销,请重新登录获取。"))
        if not token.user.is_active:
            raise AuthenticationFailed(_("用户已停用。"))
        if now - token.last_used_at >= _TOUCH_EVERY and _touch_claimed(token, now):
            _write_last_use(token, now)
            token.last_used_at = now
            _token_store(token, ticket)
        return token.user, token


# Tokens whose last use this process has claimed (or found claimed) within the minute, and when.
_TOUCHED: dict[str, dt.datetime] = {}


def _touch_claimed(token, now: dt.datetime) -> bool:
    """Whether this request writes the token's last use. Requests that arrive together (a phone
    opening a page asks for several things at once) are served by different processes, each of
    which finds the last use a minute old; the one that claims it in Redis first writes it, the
    others leave it (it is at most a minute behind either way, against an idle timeout of
    hours). A process asks Redis once a minute per token: until the writer's new entry reaches
    it, its own requests keep finding the last use due."""
    from hrsaas.core import prepared

    asked = _TOUCHED.get(token.digest)
    if asked is not None and now - asked < _TOUCH_EVERY:
        return False
    if len(_TOUCHED) >= 10_000:  # only the last minute's matter
        for digest, at in list(_TOUCHED.items()):
            if now - at >= _TOUCH_EVERY:
                del _TOUCHED[digest]
        if len(_TOUCHED) >= 10_000:  # more tokens in a minute than that: forget them all (one more
            _TOUCHED.clear()         # Redis ask each) rather than go over them on every request
    _TOUCHED[token.digest] = now
    return prepared.claim(f"touch:{token.digest}", int(_TOUCH_EVERY.total_seconds()) - 1)


def _write_last_use(token, now: dt.datetime) -> None:
    from django.db import connection

    from .models import ApiToken

    if connection.in_atomic_block or not connection.get_autocommit():
        # Part of a larger transaction: written with it, under that transaction's settings.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return
    # In autocommit the write is a transaction of its own, whose commit need not wait for the
    # disk: a crash can lose at most the last moment's last uses, which only makes a token's
    # idle time look a minute longer. Two statements in one call are then one transaction, so
    # SET LOCAL covers exactly this write.
    meta, quote = ApiToken._meta, connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SET LOCAL synchronous_commit = off; UPDATE {quote(meta.db_table)} "
                    f"SET {quote(meta.get_field('last_used_at').column)} = %s WHERE {quote(meta.pk.column)} = %s",
                    [now, token.pk])


def _token_scopes(digest: str) -> list[str]:
    return [f"tk:{digest}"]


# The person of each token this process has read (a token's person never changes): a request
# can then name the copy this process holds of its person's prepared body before its token is
# read (commissions/prepared.py `likely_bodies`).
_PERSON_OF: dict[str, int] = {}


def _request_digest(request) -> str | None:
    """The digest of the request's `Authorization: Token …` key (None: no token), worked out once."""
    request = getattr(request, "_request", request)
    if not hasattr(request, "_token_digest"):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        request._token_digest = digest_of(parts[1]) if len(parts) == 2 and parts[0].lower() == "token" else None
    return request._token_digest


def person_of_token(request) -> int | None:
    """The person of the request's token, if this process has read that token before."""
    digest = _request_digest(request)
    return _PERSON_OF.get(digest) if digest is not None else None


def _remember_person(token) -> None:
    if len(_PERSON_OF) > 100_000:
        _PERSON_OF.clear()
    _PERSON_OF[token.digest] = token.user_id


def prefetch(request, also: list[str], bodies=()) -> list[str] | None:
    """For a request carrying `Authorization: Token …`: read its prepared token entry together
    with the generations of `also` and the prepared `bodies` the request is likely to ask for
    ((scopes, key, known tag); `{uid}` in them is the token's person) in one Redis round trip.
    Keeps the entry (`_prepared_token`) and the bodies (`_prepared_bodies`: key → (body,
    ticket)) on the request and returns the generations (None: no token, or Redis away)."""
    from hrsaas.core import prepared

    digest = _request_digest(request)
    if digest is None or not prepared.usable():
        return None
    scope = _token_scopes(digest)[0]
    groups = [(_token_scopes(digest), prepared.body_key("token", digest), ""), (list(also), "", ""), *bodies]
    answers, _uid = prepared.read_many(groups, uid_scope=scope if bodies else "")
    (body, ticket), (_none, seen) = answers[0], answers[1]
    request._prepared_token = (digest, body, ticket)
    request._prepared_bodies = {t.key: (b, t) for b, t in answers[2:] if t is not None}
    return seen.tag.split(",") if seen is not None else None


def _token_lookup(digest: str, prefetched=None):
    """(token with its user and the user's memberships loaded, ticket) — prepared or read."""
    import pickle

    from hrsaas.core import prepared

    from .models import ApiToken

    ticket = None
    if prepared.usable():
        if prefetched is not None and prefetched[0] == digest and prefetched[2] is not None:
            body, ticket = prefetched[1], prefetched[2]
        else:
            body, ticket = prepared.read(_token_scopes(digest), prepared.body_key("token", digest))
        if body is not None:
            token = pickle.loads(body)
            _remember_person(token)
            return token, ticket
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is not None:
        _remember_person(token)
    if token is not None and ticket is not None:
        token.user._membership_cache = list(token.user.memberships.all())
        _token_store(token, ticket)
    return token, ticket


def _token_store(token, ticket) -> None:
    import pickle

    from hrsaas.core import prepared

    if ticket is not None and hasattr(token.user, "_membership_cache"):
        if prepared.fill(ticket, pickle.dumps(token, protocol=pickle.HIGHEST_PROTOCOL)):
            # A token's person never changes: bodies keyed by person are read with its entry.
            prepared.keep_uid(_token_scopes(token.digest)[0], token.user_id,
                              int((token.expires_at - timezone.now()).total_seconds()))


def tokens_changing(*, digests=(), user_id: int | None = None) -> None:
    """In the writing transaction: these tokens' prepared entries (or every token of `user_id`)
    are stale from now on."""
    from hrsaas.core import prepared

    from .models import ApiToken

    digests = set(digests)
    if user_id is not None:
        digests |= set(ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True)
                       .values_list("digest", flat=True))
    prepared.changing([s for d in digests for s in _token_scopes(d)])


def _on_token(sender, instance, raw=False, created=False, **kwargs):
    if raw or not instance.digest:
        return
    if created:  # a new token: its entry is prepared once the sign-in commits
        from django.db import transaction

        transaction.on_commit(lambda: _token_lookup(instance.digest))
        return
    tokens_changing(digests=[instance.digest])


def _on_person(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    if raw or created:
        return  # a new person has no token yet
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in's last_login changes nothing a token carries
    tokens_changing(user_id=instance.pk)


def _on_membership(sender, instance, raw=False, **kwargs):
    if not raw and instance.user_id:
        tokens_changing(user_id=instance.user_id)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import ApiToken, BranchMembership, User

    for signal in (post_save, post_delete):
        signal.connect(_on_token, sender=ApiToken, dispatch_uid=f"prepared-token-{signal}")
        signal.connect(_on_person, sender=User, dispatch_uid=f"prepared-user-{signal}")
        signal.connect(_on_membership, sender=BranchMembership, dispatch_uid=f"prepared-member-{signal}")
