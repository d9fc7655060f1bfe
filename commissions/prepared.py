"""Statements and leaderboards served from bodies prepared when a recompute finishes
(hrsaas/core/prepared.py: generations per scope, compare-and-set fills).

Scopes (a body is current while none of its scopes changed):
- `e:<schema>:<period>:<earner>` — a person's lines of a period (the recompute, per earner);
- `p:<schema>:<period>` — the period's status (close, paid);
- `b:<schema>:<period>` — the branch's board of the period (any line of the period);
- `h:<period>` — the company board of the period (HQ's rollup, any branch);
- `s:<schema>` — what lines are explained with inside the branch (client and lead names,
  headcounts, a sale's client and service);
- `u:<user>` — a person's name; `all` — rule versions, branch names, usernames, branches.

Bodies: a statement per (schema, period, person, language) — the API's JSON; a branch board per
(schema, month, metric) — its rows and each person's "me" sentence; a company board per (month,
metric). Access checks always run before, on the request's own person and branch.
"""
from __future__ import annotations

import pickle
import re
from collections import Counter

from django.conf import settings
from django.http import Http404

from branches.tokens import person_of_token
from hrsaas.core import prepared as store
from hrsaas.core.period import valid_period

from . import selectors

BOARD_LOCAL: dict[str, tuple[str, object]] = {}  # process memory: key → (tag, payload), boards
STATEMENTS = store.Held(settings.PREPARED_LOCAL_BYTES)  # process memory: statement bodies


def statement_scopes(schema: str, period: str, earner_id: int) -> list[str]:
    return ["all", f"s:{schema}", f"p:{schema}:{period}", f"e:{schema}:{period}:{earner_id}", f"u:{earner_id}"]


def _statement_key(schema: str, period: str, earner_id: int, lang: str) -> str:
    return store.body_key("stmt", schema, period, earner_id, lang)


def statement_json(actor, branch, username: str, period: str, *, lang: str = "zh", request=None) -> bytes:
    """The API's statement body (bytes), after the same checks as `selectors.access_statement`.
    With `request`, a body read with its token (`likely_bodies`) is used when its key is this one."""
    if not store.usable():
        return store.render_json(selectors.access_statement(actor, branch, username, period, lang=lang))
    user = selectors.statement_subject(actor, branch, username)
    scopes = statement_scopes(branch.schema_name, period, user.pk)
    key = _statement_key(branch.schema_name, period, user.pk, lang)
    body, ticket = store.read_held(STATEMENTS, scopes, key, request)
    if body is None:
        body = store.render_json(selectors.access_statement(actor, branch, username, period, lang=lang))
        store.fill(ticket, body)
    elif user.pk != actor.pk and body.endswith(b'"lines":[]}') and not selectors.belongs_to(user, branch):
        raise Http404  # as access_statement: nobody's statement here
    STATEMENTS.keep(key, ticket, body)
    return body


def _local(key: str, scopes: list[str], compute, request=None):
    """A board's payload: process memory while its tag is current, else Redis, else `compute()`."""
    held = BOARD_LOCAL.get(key)
    found = store.prefetched(request, key)
    if found is not None and (found[0] != b"=" or (held is not None and held[0] == found[1].tag)):
        body, ticket = found
    else:
        body, ticket = store.read(scopes, key, known_tag=held[0] if held else "")
    if body == b"=" and held is not None:
        return held[1]
    if body is not None:
        payload = pickle.loads(body)
    else:
        payload = compute()
        store.fill(ticket, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    if ticket is not None and not ticket.busy:
        if len(BOARD_LOCAL) > 2000:
            BOARD_LOCAL.clear()
        BOARD_LOCAL[key] = (ticket.tag, payload)
    return payload


def _board_payload(period: str, metric: str, kind: str) -> tuple[bytes, dict]:
    return _board_body(selectors.leaderboard(period=period, metric=metric), metric, kind)


def _board_body(rows: list[dict], metric: str, kind: str) -> tuple[bytes, dict]:
    ahead = selectors.next_ranks(rows)
    shared = Counter(r["rank"] for r in rows)
    me = {r["username"]: selectors.gap_text(rank=r["rank"], next_rank=ahead[r["username"]],
                                            gap=r["gap_to_previous"], metric=metric, kind=kind,
                                            tied=shared[r["rank"]] > 1)
          for r in rows}
    return store.render_json(rows), me


def _board_read(schema: str, period: str, metric: str) -> tuple[list[str], str]:
    return ["all", f"b:{schema}:{period}"], store.body_key("board", schema, period, metric)


def _hq_board_read(period: str, metric: str) -> tuple[list[str], str]:
    return ["all", f"h:{period}"], store.body_key("hqboard", period, metric)


def board_json(branch, period: str, metric: str, kind: str, username: str, *, request=None) -> bytes:
    """The branch leaderboard's body: `{period, metric, rows, me}` (me: the caller's sentence)."""
    if kind != "month" or not store.usable():
        rows_json, me = _board_payload(period, metric, kind)
    else:
        scopes, key = _board_read(branch.schema_name, period, metric)
        rows_json, me = _local(key, scopes, lambda: _board_payload(period, metric, kind), request)
    head = store.render_json({"period": period, "metric": metric})[:-1]
    return head + b',"rows":' + rows_json + b',"me":' + store.render_json(me.get(username)) + b"}"


def hq_board_body(period: str, metric: str) -> bytes:
    return store.render_json({"period": period, "metric": metric,
                              "rows": selectors.hq_leaderboard(period=period, metric=metric)})


def hq_board_json(period: str, metric: str, *, request=None) -> bytes:
    """The company leaderboard's body `{period, metric, rows}` (months only)."""
    if not store.usable():
        return hq_board_body(period, metric)
    scopes, key = _hq_board_read(period, metric)
    return _local(key, scopes, lambda: hq_board_body(period, metric), request)


_STATEMENT_PATH = re.compile(r"^/b/[^/]+/api/v1/statements/(?P<username>[^/]+)/(?P<period>[0-9]{4}-[0-9]{2})/$")
_BOARD_PATH = re.compile(r"^/b/[^/]+/api/v1/leaderboards/$")
_HQ_BOARD_PATH = "/api/v1/leaderboards/"
_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}\Z")


def likely_bodies(request, schema: str) -> list:
    """The body a GET of a statement or monthly board will read (commissions/api_urls.py's
    paths), for the token's round trip (hrsaas/core/prepared.py `read_many`). Only a guess: the
    view uses it when its own key is the same, and reads as usual otherwise."""
    path = request.path
    # Only periods the views accept: a guess names generation keys, which the read script
    # creates, and `2026-99` or `9999-01` would each leave one in Redis for nothing.
    if schema != "public" and (match := _STATEMENT_PATH.match(path)) and valid_period(match["period"]):
        lang = "en" if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "").startswith("en") else "zh"
        period = match["period"]
        # The tag of this process' copy of the token's person's statement, when it knows the person.
        uid = person_of_token(request)
        known = STATEMENTS.tag(_statement_key(schema, period, uid, lang)) if uid is not None else ""
        return [(statement_scopes(schema, period, "{uid}"), _statement_key(schema, period, "{uid}", lang), known)]
    period, metric = request.GET.get("period", ""), request.GET.get("metric", "openings")
    if not _MONTH.match(period) or not valid_period(period) or metric not in selectors.METRICS:
        return []
    if schema != "public" and _BOARD_PATH.match(path):
        scopes, key = _board_read(schema, period, metric)
    elif schema == "public" and path == _HQ_BOARD_PATH:
        scopes, key = _hq_board_read(period, metric)
    else:
        return []
    held = BOARD_LOCAL.get(key)
    return [(scopes, key, held[0] if held else "")]


# ---------------------------------------------------------------------------------------------
# Writers: what changes the bodies
# ---------------------------------------------------------------------------------------------
def lines_changing(schema: str, period: str, earner_ids) -> None:
    """Inside the transaction that changes these people's lines of (schema, period): their
    statements, the branch's board and the company board of the period are changing; after the
    commit they are bumped and prepared again."""
    earner_ids = sorted(set(earner_ids))
    scopes = [f"e:{schema}:{period}:{e}" for e in earner_ids] + [f"b:{schema}:{period}", f"h:{period}"]
    store.changing(scopes, then=lambda: prepare(schema, period, earner_ids))


def period_status_changing(schema: str, period: str) -> None:
    store.changing([f"p:{schema}:{period}"])


def branch_words_changed(schema: str) -> None:
    """A client's or lead's name or headcount, a sale's client or service (words on lines)."""
    store.changed([f"s:{schema}"])


def person_changed(user_id: int, *, username_changed: bool) -> None:
    store.changed([f"u:{user_id}"] + (["all"] if username_changed else []))


def everything_changed() -> None:
    """Rule versions, branches (names, codes, removal): every body."""
    store.changed(["all"])


# Statements are prepared right after the commit, in the committing process, when they hold
# few lines (an event's earner, a small branch-period). A larger set (a branch-period's first
# load: every statement of up to a million lines) is left to tasks of PREPARE_BATCH people each,
# so that the recompute does not spend minutes rendering; until they have run, a reader's first
# read computes and fills its own statement (correct either way: the bodies were invalidated
# at the commit).
PREPARE_INLINE_LINES = 20_000
PREPARE_BATCH = 20


def prepare(schema: str, period: str, earner_ids, *, lang: str = "zh") -> int:
    """After a commit: the statements of these people (in `lang`; inline or by tasks, above), the
    branch's boards and the company boards of the period, written where readers look. Returns
    the bodies stored here."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from hrsaas.core.period import Period

    try:
        Period.parse(period)
    except ValueError:
        return 0
    earner_ids = sorted(set(earner_ids))
    stored = 0
    with schema_context(schema):
        from hrsaas.core.branch import current_branch

        branch = current_branch()
        if branch is None:
            return 0
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM commissions_statementline WHERE period = %s AND earner_id = ANY(%s)",
                        [period, earner_ids])
            lines = cur.fetchone()[0]
        if lines <= PREPARE_INLINE_LINES:
            stored += prepare_statements(schema, period, earner_ids, lang=lang)
        else:
            _prepare_later(schema, period, earner_ids, lang)
        boards = selectors.month_leaderboards(period=period)  # the three from one pass over the lines
        for metric in selectors.METRICS:
            key = store.body_key("board", schema, period, metric)
            ticket = store.current(["all", f"b:{schema}:{period}"], key)
            stored += store.fill(ticket, pickle.dumps(_board_body(boards[metric], metric, "month"),
                                                      protocol=pickle.HIGHEST_PROTOCOL))
    with schema_context("public"):
        for metric in selectors.METRICS:
            key = store.body_key("hqboard", period, metric)
            ticket = store.current(["all", f"h:{period}"], key)
            stored += store.fill(ticket, pickle.dumps(hq_board_body(period, metric),
                                                      protocol=pickle.HIGHEST_PROTOCOL))
    return stored


def prepare_statements(schema: str, period: str, earner_ids, *, lang: str = "zh") -> int:
    """These people's statements of the period, stored where readers look (each only if nothing
    changed it since its ticket was taken, before reading). Returns the bodies stored."""
    from django_tenants.utils import schema_context

    stored = 0
    with schema_context(schema):
        from hrsaas.core.branch import current_branch

        branch = current_branch()
        if branch is None:
            return 0
        tickets = {e: store.current(statement_scopes(schema, period, e), _statement_key(schema, period, e, lang))
                   for e in earner_ids}
        if any(t is None for t in tickets.values()):
            return 0  # Redis away: readers will fill
        for earner_id, data in selectors.statements_of(branch, period, earner_ids, lang=lang).items():
            stored += store.fill(tickets[earner_id], store.render_json(data))
    return stored


def _prepare_later(schema: str, period: str, earner_ids: list[int], lang: str) -> None:
    import logging

    from .tasks import prepare_statements_task

    for i in range(0, len(earner_ids), PREPARE_BATCH):
        try:
            prepare_statements_task.delay(schema, period, earner_ids[i:i + PREPARE_BATCH], lang)
        except Exception:  # noqa: BLE001 — the broker away: readers fill their own statements
            logging.getLogger(__name__).warning("prepared reads: statements of %s %s left to readers", schema, period)
            return


# ---------------------------------------------------------------------------------------------
# Edits outside the recompute that change what a body shows (connected in apps.py)
# ---------------------------------------------------------------------------------------------
WATCHED = {  # model label → fields shown on statements or boards
    "clients.Client": ("name", "headcount", "opening_source", "opening_period"),  # the tier's words
    "commissions.Lead": ("name",),
    "commissions.Sale": ("client_id", "service"),
    "branches.User": ("username", "display_name"),
}


def _edited(sender, instance, update_fields) -> set[str]:
    """The watched fields this save changes (one query for an existing row; none for a new one)."""
    fields = WATCHED[sender._meta.label]
    if instance._state.adding or instance.pk is None:
        return set()
    names = {f.removesuffix("_id") for f in fields} | set(fields)
    if update_fields is not None and not set(update_fields) & names:
        return set()  # e.g. a sign-in's last_login
    old = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    if old is None:
        return set()
    return {f for f in fields if old[f] != getattr(instance, f)}


def on_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or sender._meta.label not in WATCHED:
        return
    edited = _edited(sender, instance, update_fields)
    if not edited:
        return
    if sender._meta.label == "branches.User":
        person_changed(instance.pk, username_changed="username" in edited)
    else:
        from django.db import connection

        branch_words_changed(connection.schema_name)


def on_everything(sender, **kwargs):
    everything_changed()


def on_person_deleted(sender, instance, **kwargs):
    # Their lines stay (the earner is no constraint) and boards now name them by id; prepared
    # boards still carry the username, which may be given to someone new, with the rank and "me".
    person_changed(instance.pk, username_changed=True)


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save, pre_save

    for label in WATCHED:
        pre_save.connect(on_pre_save, sender=apps.get_model(label), dispatch_uid=f"prepared-{label}")
    for label in ("commissions_hq.RuleVersion", "branches.Branch"):
        model = apps.get_model(label)
        post_save.connect(on_everything, sender=model, dispatch_uid=f"prepared-save-{label}")
        post_delete.connect(on_everything, sender=model, dispatch_uid=f"prepared-delete-{label}")
    post_delete.connect(on_person_deleted, sender=apps.get_model("branches.User"),
                        dispatch_uid="prepared-delete-branches.User")
