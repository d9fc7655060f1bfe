"""Issue #23, sign-in and tokens: each test replays an attack that worked on the demo.

- the token endpoint's throttle keyed on a client-chosen X-Forwarded-For and was switched off by
  any valid token in the request, with no per-username limit: 30 wrong passwords, then the right
  one gave a token;
- an API token outlived a logout, a password change and a deactivation, and could not be revoked.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from branches import login_guard
from branches.models import ApiToken, User
from tests.factories import TEST_PASSWORD, make_user

TOKEN_URL = "/api/v1/auth/token/"
REVOKE_URL = "/api/v1/auth/token/revoke/"


@pytest.fixture(autouse=True)
def _empty_counters():
    cache.clear()
    yield
    cache.clear()


def _token(username: str, client: APIClient | None = None, **extra) -> str:
    r = (client or APIClient()).post(TOKEN_URL, {"username": username, "password": TEST_PASSWORD}, format="json",
                                     **extra)
    assert r.status_code == 200, r.content
    return r.json()["token"]


def _get(token: str, url: str = "/b/bj/api/v1/notifications/"):
    return APIClient().get(url, HTTP_AUTHORIZATION=f"Token {token}")


# ---------------------------------------------------------------------------------------------
# Brute force
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_thirty_wrong_passwords_with_forged_addresses_and_a_valid_token_then_the_right_one_get_no_token(branches):
    victim = make_user("victim", ("bj", "specialist"))
    attacker = make_user("attacker", ("bj", "specialist"))
    attacker_token = ApiToken.objects.create(user=attacker).key
    client = APIClient()

    codes = [client.post(TOKEN_URL, {"username": "victim", "password": f"guess{i}"}, format="json",
                         HTTP_X_FORWARDED_FOR=f"203.0.113.{i}", HTTP_AUTHORIZATION=f"Token {attacker_token}").status_code
             for i in range(30)]
    final = client.post(TOKEN_URL, {"username": "victim", "password": TEST_PASSWORD}, format="json",
                        HTTP_X_FORWARDED_FOR="198.51.100.7", HTTP_AUTHORIZATION=f"Token {attacker_token}")

    assert codes[:5] == [400] * 5 and codes[5:] == [429] * 25
    assert final.status_code == 429 and "token" not in final.json()
    assert final.json() == {"detail": "登录失败次数过多,请 15 分钟后再试。"}
    assert int(final["Retry-After"]) == 15 * 60
    assert not ApiToken.objects.filter(user=victim).exists()


@pytest.mark.django_db
def test_one_address_spraying_many_usernames_is_stopped(branches, settings):
    users = [make_user(f"spray{i}", ("bj", "specialist")).username for i in range(settings.LOGIN_MAX_FAILURES_PER_ADDRESS + 1)]
    client = APIClient()

    codes = [client.post(TOKEN_URL, {"username": u, "password": "Password1"}, format="json").status_code
             for u in users[:-1]]
    last = client.post(TOKEN_URL, {"username": users[-1], "password": TEST_PASSWORD}, format="json")

    assert codes == [400] * settings.LOGIN_MAX_FAILURES_PER_ADDRESS  # each username failed once only
    assert last.status_code == 429
    # The same person from another address is not held back by this one's failures.
    assert APIClient(REMOTE_ADDR="192.0.2.50").post(
        TOKEN_URL, {"username": users[-1], "password": TEST_PASSWORD}, format="json").status_code == 200


@pytest.mark.django_db
def test_login_page_and_token_endpoint_count_the_same_failures(client, branches):
    make_user("shared", ("bj", "specialist"))
    for _ in range(3):
        assert client.post("/login/", {"username": "shared", "password": "wrong"}).status_code == 200
    for _ in range(2):
        assert APIClient().post(TOKEN_URL, {"username": "shared", "password": "wrong"}, format="json").status_code == 400

    assert APIClient().post(TOKEN_URL, {"username": "shared", "password": TEST_PASSWORD}, format="json").status_code == 429
    page = client.post("/login/", {"username": "SHARED ", "password": TEST_PASSWORD})
    assert page.status_code == 429 and "登录失败次数过多" in page.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_compatibility_spelling_of_the_username_counts_against_the_same_account(client, branches, settings):
    """The login form signs ｂj.s6 (full-width ｂ) in as bj.s6 (NFKC): its failures are the same
    account's, so spreading guesses over spellings and addresses gains nothing."""
    make_user("bj.s6", ("bj", "specialist"))
    for i in range(settings.LOGIN_MAX_FAILURES):
        wrong = client.post("/login/", {"username": "bj.s6", "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{i + 1}")
        assert wrong.status_code == 200
    for spelling in ("ｂj.s6", "ＢＪ．ｓ６", "bj.s6"):
        page = client.post("/login/", {"username": spelling, "password": TEST_PASSWORD}, REMOTE_ADDR="198.51.100.9")
        assert page.status_code == 429, spelling
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_token_endpoint_gives_no_token_to_a_compatibility_spelling_of_a_locked_account(branches, settings):
    make_user("bj.s7", ("bj", "specialist"))
    for i in range(settings.LOGIN_MAX_FAILURES):
        wrong = APIClient(REMOTE_ADDR=f"192.0.2.{i + 1}").post(TOKEN_URL, {"username": "bj.s7", "password": "wrong"},
                                                              format="json")
        assert wrong.status_code == 400
    for spelling in ("ｂj.s7", "bj.s7"):
        r = APIClient(REMOTE_ADDR="198.51.100.9").post(TOKEN_URL, {"username": spelling, "password": TEST_PASSWORD},
                                                       format="json")
        assert r.status_code == 429 and "token" not in r.json(), spelling


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_attempts_sent_at_the_same_moment_get_no_more_password_checks_than_the_limit(settings):
    """Thirty attempts that all reach the check before any password is tried (sent at once, one
    per web worker): five go ahead, the rest are refused. It counted after each failure, so all
    thirty passed the check while the first passwords were being tried."""
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 5, 1000

    allowed = [login_guard.check(_request("203.0.113.5"), "victim") is None for _ in range(30)]

    assert allowed == [True] * 5 + [False] * 25


@pytest.mark.django_db
def test_sign_ins_that_succeed_do_not_use_up_an_offices_address(branches, settings):
    """Everyone of an office signs in from one address: successes are not counted against it."""
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for i in range(6):
        make_user(f"office{i}", ("bj", "specialist"))

    tokens = [_token(f"office{i}") for i in range(6)]

    assert len(set(tokens)) == 6


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    assert login_guard.client_address(_request("198.51.100.1", "1.2.3.4")) == "198.51.100.1"

    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    cases = {
        ("198.51.100.1", "1.2.3.4"): "198.51.100.1",  # not from our proxy: the header is the client's own
        ("10.1.2.3", "203.0.113.9"): "203.0.113.9",  # our proxy says who connected
        ("10.1.2.3", "6.6.6.6, 203.0.113.9"): "203.0.113.9",  # the left part was written by the client
        ("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.9.9.9"): "203.0.113.9",  # two proxies of ours
        ("10.1.2.3", "not-an-address"): "10.1.2.3",
        ("10.1.2.3", None): "10.1.2.3",
    }
    answers = {case: login_guard.client_address(_request(*case)) for case in cases}
    assert answers == cases and len(answers) == 6


# ---------------------------------------------------------------------------------------------
# Tokens that end
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_token_contract_unchanged_plus_expires_at(branches, settings):
    make_user("contract", ("bj", "specialist"))
    r = APIClient().post(TOKEN_URL, {"username": "contract", "password": TEST_PASSWORD}, format="json")

    body = r.json()
    assert r.status_code == 200 and len(body["token"]) == 40
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert abs((expires - timezone.now()).total_seconds() - settings.API_TOKEN_MAX_AGE) < 60
    assert body["idle_timeout"] == 12 * 3600
    assert _get(body["token"]).status_code == 200
    # Only a digest is stored.
    assert not ApiToken.objects.filter(digest=body["token"]).exists()
    assert ApiToken.objects.filter(user__username="contract").count() == 1


@pytest.mark.django_db
def test_token_ends_after_the_idle_timeout_and_at_its_latest_end(branches, settings):
    make_user("idle", ("bj", "specialist"))
    idle, aged = _token("idle"), _token("idle")
    now = timezone.now()
    ApiToken.objects.filter(user__username="idle").update(last_used_at=now - dt.timedelta(hours=11, minutes=59))
    assert _get(idle).status_code == 200  # used within 12 h: still good, and its clock restarts
    ApiToken.objects.filter(user__username="idle").update(last_used_at=now - dt.timedelta(hours=12, seconds=1))
    refused = _get(idle)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "认证令牌已过期或已撤销,请重新登录获取。"}

    ApiToken.objects.filter(user__username="idle").update(last_used_at=now, expires_at=now - dt.timedelta(seconds=1))
    assert _get(aged).status_code == 401


@pytest.mark.django_db
def test_logout_ends_the_persons_api_tokens(client, branches):
    make_user("leaver", ("bj", "specialist"))
    token = _token("leaver")
    client.login(username="leaver", password=TEST_PASSWORD)
    assert _get(token).status_code == 200

    client.post("/logout/")

    assert _get(token).status_code == 401


@pytest.mark.django_db
def test_password_change_or_reset_and_deactivation_end_tokens(branches):
    user = make_user("changer", ("bj", "specialist"))
    token = _token("changer")
    user.set_password("An0ther-Secret-2026")
    user.save()
    assert _get(token).status_code == 401

    token = APIClient().post(TOKEN_URL, {"username": "changer", "password": "An0ther-Secret-2026"},
                             format="json").json()["token"]
    assert _get(token).status_code == 200
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()  # reactivated: the old token stays ended
    assert _get(token).status_code == 401
    revoked = ApiToken.objects.filter(user=user).values_list("revoke_reason", flat=True)
    assert sorted(revoked) == ["deactivated", "password changed"]


@pytest.mark.django_db
def test_revoke_endpoint_ends_own_token_and_hq_admin_ends_anyones(branches, hq_admin):
    make_user("holder", ("bj", "specialist"))
    make_user("other", ("bj", "specialist"))
    first, second = _token("holder"), _token("holder")

    r = APIClient().post(REVOKE_URL, {}, format="json", HTTP_AUTHORIZATION=f"Token {first}")
    assert r.status_code == 200 and r.json() == {"revoked": 1}
    assert _get(first).status_code == 401 and _get(second).status_code == 200  # only the one presented

    # Someone else's: refused unless HQ admin, and nothing is revoked.
    r = APIClient().post(REVOKE_URL, {"username": "other"}, format="json", HTTP_AUTHORIZATION=f"Token {second}")
    assert r.status_code == 403
    other = _token("other")
    admin = APIClient()
    admin.force_authenticate(hq_admin)
    r = admin.post(REVOKE_URL, {"username": "holder"}, format="json")
    assert r.status_code == 200 and r.json() == {"revoked": 1}
    assert _get(second).status_code == 401 and _get(other).status_code == 200
    assert admin.post(REVOKE_URL, {"username": "nobody-here"}, format="json").status_code == 404
    # Audited: who revoked whose token.
    rows = admin.get("/api/v1/audit/?model=branches.ApiToken").json()
    by_admin = [row for row in rows if row["user_id"] == hq_admin.pk and row["reason"].startswith("撤销令牌")]
    assert len(by_admin) == 1
    assert {"field": "revoke_reason", "before": "", "after": "revoked by HQ admin"} in by_admin[0]["changes"]
    assert User.objects.filter(username="holder").exists()


# ---------------------------------------------------------------------------------------------
# A stranger's failures do not lock a person out of their own browser (device cookie)
# ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_strangers_failures_do_not_lock_the_owner_out_of_a_browser_they_signed_in_on(branches, settings):
    from django.test import Client

    make_user("bj.s5", ("bj", "specialist"))
    own = Client(REMOTE_ADDR="198.51.100.20")
    assert own.post("/login/", {"username": "bj.s5", "password": TEST_PASSWORD}).status_code == 302
    assert login_guard.DEVICE_COOKIE in own.cookies
    own.post("/logout/")

    for i in range(settings.LOGIN_MAX_FAILURES + 3):
        Client(REMOTE_ADDR=f"203.0.113.{i + 1}").post("/login/", {"username": "bj.s5", "password": "wrong"})

    # Anyone else, the API included, is held back by the account's count ...
    assert Client(REMOTE_ADDR="198.51.100.21").post(
        "/login/", {"username": "bj.s5", "password": TEST_PASSWORD}).status_code == 429
    assert APIClient(REMOTE_ADDR="198.51.100.20").post(
        TOKEN_URL, {"username": "bj.s5", "password": TEST_PASSWORD}, format="json").status_code == 429
    # ... the owner's own browser signs in.
    back = own.post("/login/", {"username": "bj.s5", "password": TEST_PASSWORD})
    assert back.status_code == 302 and "_auth_user_id" in own.session


@pytest.mark.django_db
def test_a_remembered_browser_is_itself_limited_and_a_forged_or_foreign_cookie_counts_for_nothing(branches, settings):
    from django.test import Client

    make_user("bj.s4", ("bj", "specialist"))
    make_user("bj.s3", ("bj", "specialist"))
    own = Client(REMOTE_ADDR="198.51.100.30")
    assert own.post("/login/", {"username": "bj.s4", "password": TEST_PASSWORD}).status_code == 302
    own.post("/logout/")
    # Guessing from the remembered browser: the same five, then refused even with the password.
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert own.post("/login/", {"username": "bj.s4", "password": "wrong"}).status_code == 200
    assert own.post("/login/", {"username": "bj.s4", "password": TEST_PASSWORD}).status_code == 429

    # bj.s4's cookie says nothing about bj.s3: a locked bj.s3 stays locked in that browser.
    for i in range(settings.LOGIN_MAX_FAILURES):
        Client(REMOTE_ADDR=f"203.0.113.{i + 1}").post("/login/", {"username": "bj.s3", "password": "wrong"})
    assert own.post("/login/", {"username": "bj.s3", "password": TEST_PASSWORD}).status_code == 429
    # A cookie not signed by us is ignored.
    forged = Client(REMOTE_ADDR="198.51.100.31")
    forged.cookies[login_guard.DEVICE_COOKIE] = '{"bj.s3": "x"}'
    assert forged.post("/login/", {"username": "bj.s3", "password": TEST_PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_the_token_endpoint_and_a_new_password_give_a_device_cookie_nothing(branches, settings):
    """The token endpoint honoured the login page's device cookie, and a cookie outlived a
    password change; signing in again from one browser handed it a new cookie each time, each
    worth five more guesses (the review of 2026-12-05)."""
    from django.test import Client

    owner = make_user("bj.s2", ("bj", "specialist"))
    own = Client(REMOTE_ADDR="198.51.100.40")
    for _ in range(3):  # one browser, one remembered nonce however often it signs in
        assert own.post("/login/", {"username": "bj.s2", "password": TEST_PASSWORD}).status_code == 302
        own.post("/logout/")
    assert len(cache.get("login-devices:bj.s2")) == 1
    for i in range(settings.LOGIN_MAX_FAILURES):
        Client(REMOTE_ADDR=f"203.0.113.{i + 1}").post("/login/", {"username": "bj.s2", "password": "wrong"})

    api = APIClient(REMOTE_ADDR="198.51.100.40")
    api.cookies[login_guard.DEVICE_COOKIE] = own.cookies[login_guard.DEVICE_COOKIE].value
    assert api.post(TOKEN_URL, {"username": "bj.s2", "password": TEST_PASSWORD}, format="json").status_code == 429

    owner.set_password("Another-Pass-2026!")
    owner.save()
    assert cache.get("login-devices:bj.s2") is None
    assert own.post("/login/", {"username": "bj.s2", "password": "Another-Pass-2026!"}).status_code == 429


@pytest.mark.django_db
def test_the_processs_memory_of_claimed_last_uses_keeps_only_the_last_minute(branches):
    """A process remembers for a minute which tokens' last use it asked Redis for; it never holds
    more than 10,000 of them, keeping the last minute's when it can."""
    from types import SimpleNamespace

    from branches import tokens

    now = timezone.now()
    tokens._TOUCHED.clear()
    try:
        tokens._TOUCHED.update({f"old{i}": now - dt.timedelta(seconds=61) for i in range(9_000)})
        tokens._TOUCHED.update({f"new{i}": now - dt.timedelta(seconds=5) for i in range(1_000)})
        tokens._touch_claimed(SimpleNamespace(digest="a" * 64), now)
        assert len(tokens._TOUCHED) == 1_001 and "new0" in tokens._TOUCHED and "old0" not in tokens._TOUCHED
        # asked within the minute: not asked again
        assert tokens._touch_claimed(SimpleNamespace(digest="new0"), now) is False

        tokens._TOUCHED.clear()
        tokens._TOUCHED.update({f"new{i}": now - dt.timedelta(seconds=5) for i in range(10_000)})
        tokens._touch_claimed(SimpleNamespace(digest="b" * 64), now)
        assert list(tokens._TOUCHED) == ["b" * 64]
    finally:
        tokens._TOUCHED.clear()


@pytest.mark.django_db
def test_the_token_endpoint_reads_a_full_width_username_as_the_sign_in_page_does(branches):
    make_user("bj.s9", ("bj", "specialist"))

    r = APIClient().post(TOKEN_URL, {"username": "ｂｊ.ｓ9", "password": TEST_PASSWORD}, format="json")

    assert r.status_code == 200 and r.json()["token"]
