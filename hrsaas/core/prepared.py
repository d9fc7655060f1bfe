"""Prepared reads: a body computed once, kept in Redis, served until what it shows changes.

A body depends on *scopes* (e.g. "the lines of person 7 in br_beijing for 2026-11"). Each scope
has a generation number in Redis, and a body is stored tagged with the generations it was
computed under. A reader gets the current generations and the body in one round trip (a Lua
script) and serves the body only if its tag is current and no writer of those scopes is in
flight; otherwise it reads the database and offers the result back with `fill`, which stores it
only if the generations are still the ones read *before* the database read (compare-and-set):
a slow reader that computed an older body can never overwrite a newer one, nor store one that
a commit has made stale meanwhile.

Writers:
- `changing(scopes)`, inside the writing transaction: marks the scopes busy (readers go to the
  database and fill nothing), and on commit bumps their generations and clears the mark. A
  reader that starts once the commit's callbacks ran never sees an older body. A transaction
  that rolls back leaves its mark until it expires (`BUSY_SECONDS`): reads of those scopes are
  uncached meanwhile, never wrong.
- `changed(scopes)`: only the bump on commit (rare edits — names, rules, branches — whose
  callers do not hold the scopes long).

Reads inside a transaction (`connection.in_atomic_block`) bypass the store altogether: they may
see their own uncommitted writes, which must never be shared. Redis unavailable → the database
answers (nothing is stored). Keys carry the database's identity, so a recreated database (a
test run, a restore) never meets bodies of another one.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)

BUSY_SECONDS = 300  # longer than any recompute transaction; a rolled-back mark lasts this long
BODY_SECONDS = int(getattr(settings, "PREPARED_READS_TTL", 6 * 3600))

_SEED = """
-- A generation never seen (a new scope, or Redis emptied by a restart or a flush) starts from
-- Redis' clock in microseconds, not from 0: processes keep bodies and branch rows in memory
-- tagged with generations, and counting again from 0 would meet those tags again.
local function gen(k)
  local v = redis.call('GET', k)
  if not v then
    local t = redis.call('TIME')
    v = t[1] .. string.format('%06d', tonumber(t[2]))
    redis.call('SET', k, v)
  end
  return v
end
"""

_FILL = _SEED + """
local n = tonumber(ARGV[2])
local gens = {}
for i = 1, n do
  gens[i] = gen(KEYS[i])
  if redis.call('ZCOUNT', 'w|' .. KEYS[i], ARGV[1], '+inf') > 0 then return 0 end
end
if table.concat(gens, ',') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[n + 1], ARGV[3] .. '\\n' .. ARGV[4], 'EX', ARGV[5])
return 1
"""

# Reads, one or several in one round trip (`read_many`; `read` is one): the API token's entry, the branch routes'
# generation and the body the request will most likely ask for. Names come in ARGV, so that a
# name may hold `{uid}`: the token's person, from the `uid|<token scope>` key (a token's person
# never changes), for a body keyed by person before the token is decoded.
# ARGV: now, uid key ('' for none), group count, then per group: scope count, known tag, the
# scopes' generation keys, the body key ('' for none). Answers per group {tag, busy, body, uid}.
_READ_MANY = _SEED + """
local now, uid_key, groups = ARGV[1], ARGV[2], tonumber(ARGV[3])
local uid = false
if uid_key ~= '' then uid = redis.call('GET', uid_key) end
local out, i = {}, 4
for g = 1, groups do
  local n, known = tonumber(ARGV[i]), ARGV[i + 1]
  local names = {}
  local unknown = false
  for j = 1, n + 1 do
    local name = ARGV[i + 1 + j]
    if string.find(name, '{uid}', 1, true) then
      if uid then name = string.gsub(name, '{uid}', uid) else unknown = true end
    end
    names[j] = name
  end
  i = i + n + 3
  if unknown then
    out[g] = {false, 0, false, false}
  else
    local gens, busy, marks = {}, 0, {}
    if n > 0 then
      gens = redis.call('MGET', unpack(names, 1, n))
      for j = 1, n do
        if not gens[j] then gens[j] = gen(names[j]) end
        marks[j] = 'w|' .. names[j]
      end
      -- A scope's mark exists only while a writer of it is in flight (or until a rolled-back
      -- one's expires): counted only then.
      if redis.call('EXISTS', unpack(marks)) > 0 then
        for j = 1, n do busy = busy + redis.call('ZCOUNT', marks[j], now, '+inf') end
      end
    end
    local tag = table.concat(gens, ',')
    local body = false
    if names[n + 1] ~= '' then
      -- The caller holds the body of this tag: only the stored body's tag is read to compare
      -- (GET would copy the whole body into the script, 150 kB for a company board).
      if known ~= '' and known == tag and redis.call('GETRANGE', names[n + 1], 0, #tag) == tag .. '\\n' then
        body = '='
      else
        body = redis.call('GET', names[n + 1]) or false
      end
    end
    out[g] = {tag, busy, body, uid or false}
  end
end
return out
"""

# A bump moves a generation to one more than before and never below Redis' clock (µs): a Redis
# restarted from an older snapshot has generations gone back, and counting on from there would
# hand out tags that processes already hold copies for (with other bodies behind them).
_BUMP = _SEED + """
local t = redis.call('TIME')
local now = t[1] .. string.format('%06d', tonumber(t[2]))
for i = 1, #KEYS do
  if tonumber(gen(KEYS[i])) + 1 > tonumber(now) then
    redis.call('INCR', KEYS[i])
  else
    redis.call('SET', KEYS[i], now)
  end
  if ARGV[1] ~= '' then redis.call('ZREM', 'w|' .. KEYS[i], ARGV[1]) end
end
return 1
"""

_GEN = _SEED + """
return gen(KEYS[1])
"""

_scripts: dict[str, object] = {}
_epoch: dict[str, str] = {}


_clients: dict[int, object] = {}


def _redis():
    """The cache's Redis (its connection pool), one client object per pool: making a client
    per call copies redis-py's table of response callbacks each time."""
    from django.core.cache import caches

    backend = caches["default"]._cache
    pool = backend._get_connection_pool(True)
    client = _clients.get(id(pool))
    if client is None:
        client = _clients[id(pool)] = backend._client(connection_pool=pool)
    return client


def _script(name: str):
    if name not in _scripts:
        from redis.commands.core import Script

        _scripts[name] = Script(None, {"fill": _FILL, "many": _READ_MANY, "bump": _BUMP, "gen": _GEN}[name].encode())
    return _scripts[name]


def _errors():
    import redis

    return (redis.RedisError, OSError)


def epoch() -> str:
    """The database's identity (name and oid): part of every key."""
    alias = connection.settings_dict["NAME"]
    if alias not in _epoch:
        with connection.cursor() as cur:
            cur.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            _epoch[alias] = f"{alias}.{cur.fetchone()[0]}"
    return _epoch[alias]


def _gen_key(scope: str, ep: str = "") -> str:
    return f"prep:{ep or epoch()}:g:{scope}"


def body_key(*parts) -> str:
    return f"prep:{epoch()}:b:" + ":".join(str(p) for p in parts)


def usable() -> bool:
    """False inside a transaction: its reads may hold its own uncommitted writes."""
    return not connection.in_atomic_block


class Ticket:
    """What a read saw: the generations (`tag`) and whether a writer was in flight."""

    __slots__ = ("scopes", "key", "tag", "busy")

    def __init__(self, scopes, key, tag, busy):
        self.scopes, self.key, self.tag, self.busy = scopes, key, tag, busy


def read(scopes: list[str], key: str, *, known_tag: str = ""):
    """(body, ticket): the body if it is current, else None. With `known_tag` (the tag of a body
    the caller holds in memory) an unchanged body answers b"=" without being sent again.
    Ticket None: Redis could not be asked (serve from the database, fill nothing)."""
    return read_many([(scopes, key, known_tag)])[0][0]


def uid_key(scope: str) -> str:
    """Where the person of a token (its scope) is kept for `{uid}` names."""
    return f"prep:{epoch()}:uid|{scope}"


def read_many(groups, *, uid_scope: str = ""):
    """Several `read`s in one round trip: `groups` of (scopes, key or "", known tag). A scope or
    key may hold `{uid}`, the person kept under `uid_key(uid_scope)`. Answers a list of
    (body, ticket) as `read` does (ticket None: Redis away, or `{uid}` not known), plus the uid
    (None when not known)."""
    args, ep = [], epoch()  # (epoch once: it is read through the connection's proxy)
    for scopes, key, known_tag in groups:
        args += [len(scopes), known_tag, *(_gen_key(s, ep) for s in scopes), key]
    try:
        answers = _script("many")(keys=[], args=[time.time(), uid_key(uid_scope) if uid_scope else "",
                                                 len(groups), *args], client=_redis())
    except _errors():
        log.warning("prepared reads: Redis unavailable, reading the database")
        return [(None, None)] * len(groups), None
    out, uid = [], None
    for (scopes, key, known_tag), (tag, busy, body, found) in zip(groups, answers):
        if tag is None:
            out.append((None, None))
            continue
        uid = found.decode() if found else uid
        if uid is not None:
            scopes = [s.replace("{uid}", uid) for s in scopes]
            key = key.replace("{uid}", uid)
        out.append(_answer(scopes, key, known_tag, tag, busy, body))
    return out, uid


def _answer(scopes, key, known_tag, tag, busy, body):
    tag = tag.decode()
    ticket = Ticket(scopes, key, tag, int(busy) > 0)
    if ticket.busy or body is None:
        return None, ticket
    if body == b"=":
        return (b"=" if known_tag == tag else None), ticket
    stored_tag, _sep, payload = body.partition(b"\n")
    if stored_tag.decode() != tag:
        return None, ticket
    return payload, ticket


def fill(ticket: Ticket | None, payload: bytes, *, seconds: int | None = None) -> bool:
    """Store `payload` for the ticket's key if its scopes are unchanged since the read and no
    writer is in flight (atomic in Redis). Returns whether it was stored."""
    if ticket is None or ticket.busy:
        return False
    try:
        return bool(_script("fill")(keys=[_gen_key(s) for s in ticket.scopes] + [ticket.key],
                                    args=[time.time(), len(ticket.scopes), ticket.tag, payload,
                                          seconds or BODY_SECONDS], client=_redis()))
    except _errors():
        return False


class Held:
    """Bodies this process keeps in memory, by key, with the tag they were read under. A read
    names the tag it holds, and Redis answers "=" while that tag is current and its stored body
    is of the same tag (`_READ_MANY`), so the body is neither copied nor sent again; any change
    of its scopes changes the tag and the body is read anew. Least recently used bodies are
    dropped past `limit` bytes (bodies, keys, tags and what holding them costs). Safe to share
    between a process' threads (a threaded web server): each step runs under one lock, because
    the ordered dict and the byte count change together and a reader's move-to-end races a
    writer's eviction (measured: KeyError and a count drifting from what is held)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def tag(self, key: str) -> str:
        held = self._items.get(key)
        return held[0] if held is not None else ""

    def body(self, key: str, tag: str) -> bytes | None:
        with self._lock:
            held = self._items.get(key)
            if held is None or held[0] != tag:
                return None
            self._items.move_to_end(key)
            return held[1]

    # What an entry costs beyond its body, key and tag: the key's and tag's string headers, the
    # tuple and the ordered dict's slot (measured ≈ 250 bytes; an empty month's statement is a
    # body of ≈ 120).
    ENTRY_BYTES = 250

    def _cost(self, key: str, tag: str, body: bytes) -> int:
        return len(body) + len(key) + len(tag) + self.ENTRY_BYTES

    def keep(self, key: str, ticket: Ticket | None, body: bytes) -> None:
        """Keep `body`, read or computed under `ticket` (nothing while a writer was in flight)."""
        with self._lock:
            self._keep(key, ticket, body)

    def _keep(self, key: str, ticket: Ticket | None, body: bytes) -> None:
        held = self._items.get(key)
        if held is not None and ticket is not None and not ticket.busy and held == (ticket.tag, body):
            return  # the copy just served (`body` already marked it recently used)
        old = self._items.pop(key, None)
        if old is not None:
            self._size -= self._cost(key, *old)
        cost = self._cost(key, ticket.tag, body) if ticket is not None else 0
        if ticket is None or ticket.busy or cost > self.limit // 16:
            return
        self._items[key] = (ticket.tag, body)
        self._size += cost
        while self._size > self.limit:
            dropped_key, dropped = self._items.popitem(last=False)
            self._size -= self._cost(dropped_key, *dropped)


def read_held(held: Held, scopes: list[str], key: str, request=None):
    """(body, ticket) as `read`, the body taken from `held` when Redis answers that this
    process' copy is current; with `request`, its prefetched read (`prefetched`) when it is one."""
    known = held.tag(key)
    found = prefetched(request, key)
    if found is None or (found[0] == b"=" and found[1].tag != known):
        found = read(scopes, key, known_tag=known)
    body, ticket = found
    if body == b"=":
        body = held.body(key, ticket.tag)
        if body is None:  # not expected (one request at a time per process): read it whole
            body, ticket = read(scopes, key)
    return body, ticket


# Who can tell, from a request alone, which prepared body it will ask for: callables
# (request, schema) → [(scopes, key, known tag)], registered by the apps that serve bodies.
LIKELY: list = []


def likely_bodies(request, schema: str) -> list:
    if request.method != "GET":
        return []
    return [group for guess in LIKELY for group in guess(request, schema)]


def prefetched(request, key: str):
    """(body, ticket) read for `key` with the request's token (`read_many`), or None."""
    found = getattr(getattr(request, "_request", request), "_prepared_bodies", None)
    return found.get(key) if found else None


def keep_uid(scope: str, uid: int, seconds: int) -> None:
    """Remember the person of `scope` (a token) for `{uid}` names (`read_many`)."""
    try:
        _redis().set(uid_key(scope), str(uid), ex=max(1, seconds))
    except _errors():
        pass


def claim(name: str, seconds: int) -> bool:
    """True for the first process to ask for `name` within `seconds` (one Redis `SET NX`), so
    that work several processes would each find due at the same moment (a person's phone asks
    for several pages at once, each served by another process) is done by one of them. True
    when Redis is away: the caller then does the work as it would without the claim."""
    try:
        return bool(_redis().set(f"prep:{epoch()}:claim:{name}", "1", nx=True, ex=max(1, seconds)))
    except _errors():
        return True


def generation(scope: str) -> str | None:
    """A scope's current generation (None: Redis could not be asked)."""
    try:
        value = _redis().get(_gen_key(scope))
        if value is None:  # never seen: seeded from Redis' clock (see _SEED)
            value = _script("gen")(keys=[_gen_key(scope)], args=[], client=_redis())
    except _errors():
        return None
    return value.decode()


def current(scopes: list[str], key: str) -> Ticket | None:
    """A ticket for preparing `key` now (after a commit): the scopes' current generations."""
    return read(scopes, key)[1]


def _bump(scopes: list[str], token: str | None) -> None:
    try:
        _script("bump")(keys=[_gen_key(s) for s in scopes], args=[token or ""], client=_redis())
    except _errors():
        # A body of these scopes may now be served stale until it expires (BODY_SECONDS):
        # only when Redis answers readers but not this writer.
        log.error("prepared reads: could not invalidate %s", scopes[:5])


def changing(scopes, *, then=None) -> None:
    """Inside a writing transaction: these scopes are changing (see the module's docstring).
    `then()` runs after the commit, once the generations are bumped (e.g. to prepare bodies)."""
    scopes = sorted(set(scopes))
    if not scopes:
        return
    token = uuid.uuid4().hex
    until = time.time() + BUSY_SECONDS
    try:
        pipe = _redis().pipeline(transaction=False)
        for scope in scopes:
            busy_key = "w|" + _gen_key(scope)
            pipe.zremrangebyscore(busy_key, "-inf", time.time())
            pipe.zadd(busy_key, {token: until})
            pipe.expire(busy_key, BUSY_SECONDS + 5)
        pipe.execute()
    except _errors():
        log.error("prepared reads: could not mark %s busy", scopes[:5])

    def done():
        _bump(scopes, token)
        if then is not None:
            try:
                then()
            except Exception:  # noqa: BLE001 — preparing is an optimisation: readers fill on a miss
                log.exception("prepared reads: preparing after %s failed", scopes[:5])

    transaction.on_commit(done)


def changed(scopes) -> None:
    """A rare edit of these scopes: their generations are bumped on commit."""
    scopes = sorted(set(scopes))
    if scopes:
        transaction.on_commit(lambda: _bump(scopes, None))


def json_response(request, body: bytes):
    """A prepared JSON body answered as DRF's JSON renderer would answer the same data (plain
    `application/json`); any other negotiated format (browsable API, `indent`) renders the
    decoded data as usual."""
    import json

    from django.http import HttpResponse
    from rest_framework.renderers import JSONRenderer
    from rest_framework.response import Response

    renderer = getattr(request, "accepted_renderer", None)
    media = getattr(request, "accepted_media_type", "") or ""
    if type(renderer) is JSONRenderer and "indent" not in media:
        return HttpResponse(body, content_type=renderer.media_type)
    return Response(json.loads(body))


def render_json(data) -> bytes:
    """`data` as DRF's JSON renderer writes it (compact, UTF-8, U+2028/9 escaped)."""
    from rest_framework.renderers import JSONRenderer

    return JSONRenderer().render(data) if data is not None else b"null"  # the renderer writes None as b""
