"""Fixtures shared by the whole suite.

Branch schemas are created once per test session (copied from the branch template, which the
test database's `migrate` migrated: ADR 0010); each test runs inside a transaction that is
rolled back, in whichever schema it activates. Tests that need committed data (a real worker
reads it from another process) use `committed_branch`, which makes a throw-away branch outside
the test transaction and removes it afterwards, so that nothing ever truncates the shared public
tables. Its schema is emptied and kept for the next such branch (renamed): cheaper still than a
copy (~1 s).

Under pytest-xdist (`scripts/test.sh` runs the suite on several worker processes) each worker
has its own test database (pytest-django's `_gw0`, `_gw1` … suffix), its own Redis server
(Redis database numbers are shared by everyone on a machine; a worker's `cache.clear()` and
broker must not reach another's), its own ports, log files, static and media folders. Tests that
share a module-, class- or package-scoped fixture (a demo, a browser session) run on one worker,
together: see `pytest_collection_modifyitems`.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tests import scheduling
from tests.scheduling import pytest_xdist_make_scheduler  # noqa: F401  (the hook: longest groups first)

ROOT = Path(__file__).resolve().parent.parent
TEST_BRANCHES = [("bj", "北京分公司", "beijing"), ("sh", "上海分公司", "shanghai"), ("gz", "广州分公司", "guangzhou")]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# "gw0", "gw1" … under pytest-xdist, "" in a single-process run.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_own_redis = []


def worker_file(name: str) -> Path:
    """A file of the repository's root for this worker: `.test-web.log` → `.test-web-gw1.log`."""
    if not XDIST_WORKER:
        return ROOT / name
    stem, dot, ext = name.rpartition(".")
    return ROOT / (f"{stem}-{XDIST_WORKER}.{ext}" if stem else f"{name}-{XDIST_WORKER}")


def pytest_configure(config):
    """An xdist worker gets a Redis server of its own (before any test module imports
    TEST_REDIS_URL); without `redis-server` on PATH, the next database numbers of TEST_REDIS_URL."""
    global TEST_REDIS_URL
    scheduling.register(config)
    if not XDIST_WORKER:
        return
    if shutil.which("redis-server"):
        from bench.faults_lib import RedisServer

        server = RedisServer()
        server.start()
        _own_redis.append(server)
        TEST_REDIS_URL = server.url
    else:
        base, _, number = TEST_REDIS_URL.rpartition("/")
        TEST_REDIS_URL = f"{base}/{(int(number or 0) + int(XDIST_WORKER[2:])) % 16}"
    os.environ["TEST_REDIS_URL"] = TEST_REDIS_URL


def pytest_unconfigure(config):
    for server in _own_redis:
        server.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep the tests that share a fixture wider than a test on one xdist worker, in one run: each
    test joins the group of the widest module-, class- or package-scoped fixture it uses (its
    module, class or package), so that such a fixture (the demo, a browser session) is set up once,
    not once per worker or again after another package's tests. Other tests stay with their
    module (or class), except those that need no database (below). Session fixtures are per
    worker."""
    rank = {"class": 1, "module": 2, "package": 3}
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("xdist_group"):
            continue
        widest, package, conftest = 0, "", None
        for name in info.names_closure:
            if name == "_django_setup_unittest":  # pytest-django's, on every test: no-op but for unittest classes
                continue
            for fixturedef in info.name2fixturedefs.get(name, ()):
                if rank.get(fixturedef.scope, 0) > widest:
                    widest = rank[fixturedef.scope]
                    package = fixturedef.baseid  # a package fixture's conftest folder
                    conftest = sys.modules.get(getattr(fixturedef.func, "__module__", ""))
        if (widest == 0 and workers > 1 and "django_db_setup" not in info.names_closure
                and not item.get_closest_marker("django_db")):
            # Tests that need no database (and share no fixture), in one group: the largest,
            # so pytest-xdist hands it out first (it orders groups by size), and one worker runs
            # it while another builds the run's test database (~25 s of CPU in which they would
            # only wait for its copy). One group, not one per waiting worker: on two cores a third
            # busy process slows the build, which every other test waits for, by a third.
            item.add_marker(pytest.mark.xdist_group("no-database"))
            continue
        module, _, rest = item.nodeid.partition("::")
        if widest == 3:
            group = package or module
            # A package whose fixture is cheap next to its tests (the demo: ~9 s against ~250 s of
            # browser sweeps) may split its tests into one group per worker (`xdist_shard`), each
            # group's tests consecutive on one worker, so that no worker runs them all alone at
            # the end of the run. Each group sets the fixture up once on its worker and tears it
            # down before the worker runs another package's tests (pytest's package scope).
            shard = getattr(conftest, "xdist_shard", None)
            if shard is not None and workers > 1:
                group = f"{group}#{shard(item, workers)}"
        elif widest == 2 or item.cls is None:
            group = module
        else:
            group = f"{module}::{rest.split('::')[0]}"
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def _test_redis():
    # Tests use their own Redis database so a running development system is not disturbed.
    settings.CELERY_BROKER_URL = TEST_REDIS_URL
    settings.CELERY_RESULT_BACKEND = TEST_REDIS_URL
    settings.CACHES["default"]["LOCATION"] = TEST_REDIS_URL
    # The cache may already be connected (to REDIS_URL, the development database, which
    # `cache.clear()` would then flush): drop that connection so the next use opens the test one.
    from asgiref.local import Local
    from django.core.cache import caches

    caches.close_all()
    caches._connections = Local(caches.thread_critical)
    from hrsaas.celery import app

    app.conf.broker_url = TEST_REDIS_URL
    app.conf.result_backend = TEST_REDIS_URL
    yield


def _prepare_test_database(request, keepdb: bool):
    """The test database as pytest-django would make it, then the session's test branches; returns
    setup_databases' configuration (for the teardown)."""
    from django.test.utils import setup_databases

    from branches import services
    from branches.models import Branch

    db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                             aliases={"default"}, serialized_aliases=set(), keepdb=keepdb)
    services.ensure_public_tenant()
    for code, name, city in TEST_BRANCHES:
        if not Branch.objects.filter(code=code).exists():
            services.branch_create(actor=None, data=services.BranchInput(code=code, name=name, city=city))
    connection.set_schema_to_public()
    with connection.cursor() as cur:
        _commits_without_flush(cur, connection.settings_dict["NAME"])
    connection.close()  # the next session starts with the setting
    return db_cfg


def _commits_without_flush(cur, name: str) -> None:
    """A test database's commits do not wait for the WAL to reach the disk (it is thrown away
    after the run; a crash may lose its last commits, never corrupt it). Every session on it gets
    this: the test's, the live server's and the Celery worker's. A database copied as a TEMPLATE
    does not inherit it, so each copy is given it too."""
    cur.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def _test_database_from_the_runs_first(request):
    """Under pytest-xdist, one worker per run migrates its test database and makes the test
    branches; the others get theirs as `CREATE DATABASE … TEMPLATE` of a copy of it (seconds,
    against the ~40 s of migrating the public schema and the branch template on a busy machine).

    Race-free by an advisory lock on the server's `postgres` database, held while the first
    worker builds and while each other worker copies: the copy (`<test db>_master`, marked with
    the run's id and the number of copies made) has no session connected when a worker copies
    it (PostgreSQL requires that), and the last worker to copy drops it. A copy left by a run
    that broke off carries another run's id and is rebuilt."""
    import psycopg2

    own = connection.creation._get_test_db_name()
    master = f"{own.rsplit('_gw', 1)[0]}_master"
    run, workers = request.config.workerinput["testrunuid"], int(request.config.workerinput["workercount"])
    db = settings.DATABASES["default"]
    admin = psycopg2.connect(dbname="postgres", host=db["HOST"] or None, port=db["PORT"] or None,
                             user=db["USER"] or None, password=db["PASSWORD"] or None)
    admin.autocommit = True
    cur = admin.cursor()
    cur.execute("SELECT pg_advisory_lock(hashtext(%s))", [master])
    try:
        cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [master])
        row = cur.fetchone()
        state = (row[0] or "").split() if row else []
        if len(state) != 2 or state[0] != run:
            cur.execute(f'DROP DATABASE IF EXISTS "{master}"')
            db_cfg = _prepare_test_database(request, keepdb=False)
            if workers > 1:
                connection.close()  # no session may be connected to a template database
                cur.execute(f'CREATE DATABASE "{master}" TEMPLATE "{own}"')
                cur.execute(f'COMMENT ON DATABASE "{master}" IS %s', [f"{run} 1"])
            return db_cfg
        copies = int(state[1]) + 1
        cur.execute(f'DROP DATABASE IF EXISTS "{own}"')
        cur.execute(f'CREATE DATABASE "{own}" TEMPLATE "{master}"')
        _commits_without_flush(cur, own)
        if copies >= workers:
            cur.execute(f'DROP DATABASE "{master}"')
        else:
            cur.execute(f'COMMENT ON DATABASE "{master}" IS %s', [f"{run} {copies}"])
        # Pointed at it as setup_databases points Django at a test database it made.
        old_name = connection.settings_dict["NAME"]
        connection.close()
        settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = own
        return [(connection, old_name, True)]
    finally:
        cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", [master])
        admin.close()


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb,
                    django_db_modify_db_settings):
    """pytest-django's setup, except that the default database is always prepared: tests with
    a real worker or server use committed data and no `db` fixture, and pytest-django would
    otherwise skip creating the test database when only such tests are selected. Then the test
    branches are created once for the whole session. Under pytest-xdist, without --reuse-db,
    the workers after the first copy the first's database (`_test_database_from_the_runs_first`)."""
    from django.test.utils import teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        if XDIST_WORKER and not keepdb and hasattr(request.config, "workerinput"):
            db_cfg = _test_database_from_the_runs_first(request)
        else:
            db_cfg = _prepare_test_database(request, keepdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            # Worker, server and extra test connections may linger a moment after their
            # processes end; they must not keep the test database from being dropped.
            with connection.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    yield
    connection.set_schema_to_public()
    # A request through the test client leaves its language active in this thread (LocaleMiddleware);
    # the next test, whichever worker runs it, starts in the product's default language.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def branches(db):
    from branches.models import Branch

    return {b.code: b for b in Branch.objects.exclude(schema_name="public")}


def off_site_assets(html: str) -> list[str]:
    """Scripts, styles, images and frames a page loads from another site (a CDN): every asset
    must be served by the product itself. (Not a search for the text "cdn": a page's random
    CSRF token may contain it.)"""
    tags = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", html, re.I)
    urls = [u for tag in tags for u in re.findall(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", tag, re.I)]
    return [u for u in urls if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", u, re.I)]


@contextmanager
def in_branch(code: str):
    """Run ORM calls inside a branch's schema (by branch code)."""
    from branches.models import Branch

    schema = Branch.schema_for_code(code)
    with schema_context(schema):
        yield


@pytest.fixture
def api():
    """An API client factory: api(user) → APIClient authenticated as user (or anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def hq_admin(db):
    from tests.factories import make_user

    return make_user("hqadmin", (None, "hq_admin"))


# ------------------------------------------------------------------------------------------
# Committed data and a real Celery worker
# ------------------------------------------------------------------------------------------
def drop_committed(branches, before_users: set[int], *, keep_schemas: list[str] | None = None) -> None:
    """Remove committed test branches (schemas dropped) and the users made since `before_users`.

    With `keep_schemas`, each branch's schema is emptied instead (every table but its migration
    record truncated, identities restarted), renamed to a spare name and appended to the list."""
    connection.set_schema_to_public()
    # A Celery worker left running by an earlier test may still be working for these branches
    # (a recompute a filing asked for) and write a row pointing at them after their rows were
    # deleted (or deadlock with the deletion): the deletion is then repeated, in one transaction
    # each time, until none is left.
    for attempt in range(20):
        try:
            # durable: never a savepoint of a caller's transaction, whose commit would raise the
            # error after this loop
            with transaction.atomic(durable=True):
                _delete_public_rows(branches, before_users)
            break
        except (IntegrityError, OperationalError):
            if attempt == 19:
                raise
            time.sleep(0.25)
    for branch in branches:
        with connection.cursor() as cur:
            if keep_schemas is None:
                cur.execute(f'DROP SCHEMA IF EXISTS "{branch.schema_name}" CASCADE')
                continue
            # The months' partitions of the lines table are made by the computes: a spare schema
            # is left as migrated, without them.
            cur.execute("SELECT string_agg(format('%%I.%%I', n.nspname, c.relname), ', ') FROM pg_inherits i "
                        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE i.inhparent = to_regclass(format('%%I.social_insurance_contributionline', %s::text))",
                        [branch.schema_name])
            partitions = cur.fetchone()[0]
            if partitions:
                cur.execute(f"DROP TABLE {partitions}")
            _empty_schema(cur, branch.schema_name)
            spare = f"{SPARE_SCHEMA_PREFIX}{uuid.uuid4().hex[:8]}"
            cur.execute(f'ALTER SCHEMA "{branch.schema_name}" RENAME TO "{spare}"')
            keep_schemas.append(spare)
    # Rows removed without signals (branch, rollups, users): prepared reads and branch routes
    # forget what they held (as a deletion through the services would).
    from branches import middleware
    from hrsaas.core import prepared

    prepared.changed(["all", "tenants"])
    # This process's copies of the removed branches go too: a copy is trusted while the `tenants`
    # generation it was read under is current, and a test's `cache.clear()` restarts the
    # generations from zero, so a later demo seeded the same way (the same bumps) would meet the
    # number its code's old copy was read under and be routed to the removed branch (a 404).
    middleware._TENANTS.clear()


def _empty_schema(cur, schema: str) -> None:
    """Every table of `schema` but its migration record emptied, and the sequences of those
    tables back at their start, as `TRUNCATE … RESTART IDENTITY` leaves them.

    By `DELETE` with triggers off (`session_replication_role = replica`, the whole schema goes,
    so no foreign key can be left dangling, and the append-only guards would refuse): a test
    leaves a few rows in a few of its ~80 tables, and deleting them takes milliseconds, where a
    `TRUNCATE` gives every table and index a new file (≈ 0.6 s idle, over 1 s in a busy run,
    once per committed branch). Without the right to set that role, `TRUNCATE`."""
    cur.execute("SELECT string_agg(format('%%I.%%I', schemaname, tablename), ', ' ORDER BY tablename), "
                "array_agg(format('DELETE FROM %%I.%%I', schemaname, tablename) ORDER BY tablename) FROM pg_tables "
                "WHERE schemaname = %s AND tablename <> 'django_migrations'", [schema])
    tables, deletes = cur.fetchone()
    cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cur.fetchone()[0]:
        cur.execute(f"TRUNCATE {tables} RESTART IDENTITY")
        return
    # The sequences the truncation would restart: those owned by a column of one of the tables.
    cur.execute("SELECT array_agg(format('ALTER SEQUENCE %%I.%%I RESTART', n.nspname, s.relname)) "
                "FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace "
                "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid "
                "WHERE s.relkind = 'S' AND n.nspname = %s AND t.relname <> 'django_migrations'", [schema])
    restarts = cur.fetchone()[0] or []
    with transaction.atomic():
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("; ".join(deletes + restarts))


def _delete_public_rows(branches, before_users: set[int]) -> None:
    """The public rows of committed test branches: memberships, tokens and rows pointing at the
    branches, the users made since `before_users` with their payment data, then the branches."""
    from branches.models import ApiToken as Token

    from branches.models import Branch, BranchMembership, User

    new_users = User.objects.exclude(pk__in=before_users)
    BranchMembership.objects.filter(branch__in=branches).delete()
    BranchMembership.objects.filter(user__in=new_users).delete()
    Token.objects.filter(user__in=new_users).delete()
    for branch in branches:
        # Public rows that point at the branch (memberships, rollups …) go with it.
        public_tables = set(connection.introspection.table_names())
        relations = [f for f in Branch._meta.get_fields(include_hidden=True) if f.one_to_many or f.one_to_one]
        for rel in relations:
            if (rel.auto_created and not rel.concrete and rel.related_model is not User
                    and rel.related_model._meta.db_table in public_tables):
                rel.related_model._base_manager.filter(**{rel.field.name: branch}).delete()
    # Payment data (工资发放信息) points at users, not at a branch.
    from django.db.models import Q

    from commissions.hq.models import PaymentProfile

    profiles = PaymentProfile.objects.filter(Q(user__in=new_users) | Q(updated_by__in=new_users))
    profiles._raw_delete(profiles.db)
    # Django's delete collector would look for users' related rows in branch tables that the
    # public schema does not have (django-tenants #592): delete the rows directly.
    new_users._raw_delete(new_users.db)
    for branch in branches:
        Branch.objects.filter(pk=branch.pk)._raw_delete("default")
    # The identity registry's list of repeated hashes (no key to a branch) as the compute keeps
    # it: a hash stays only while two registrations remain (social_insurance.sql).
    with connection.cursor() as cur:
        cur.execute("""DELETE FROM public.si_policies_repeatedidentity p
                        WHERE (SELECT count(*) FROM (SELECT 1 FROM public.si_policies_insuredidentityspan s
                                                      WHERE s.id_hash = p.id_hash LIMIT 2) two) < 2""")


def city_policies_now():
    """What `city_policies_put_back` restores: the policy versions as they are (see there)."""
    from django.utils import timezone

    from social_insurance.policies.models import CityPolicy

    return timezone.now(), {pk: (end, locked) for pk, end, locked
                            in CityPolicy.objects.values_list("pk", "effective_to", "locked_at")}


def city_policies_put_back(saved) -> None:
    """The demo carries a city's last policy year forward (沿用上年度, social_insurance.demo) in
    the public schema, which removing the demo's branches does not undo: the versions are put back
    as they were before it (end dates, filing locks, their history), for the tests that follow."""
    from social_insurance.policies.models import CityPolicy

    started, before = saved
    with transaction.atomic(), connection.cursor() as cur:
        # The freezing triggers refuse shortening a version a filed month used: this is test data
        # put back, not a change of policy.
        cur.execute("SET LOCAL session_replication_role = replica")
        for pk, end, locked in CityPolicy.objects.values_list("pk", "effective_to", "locked_at"):
            if pk in before and before[pk] != (end, locked):
                CityPolicy.objects.filter(pk=pk).update(effective_to=before[pk][0], locked_at=before[pk][1])
        CityPolicy.history.filter(history_date__gte=started).delete()


SPARE_SCHEMA_PREFIX = "spare_branch_"


@pytest.fixture(scope="session")
def _spare_branch_schemas(django_db_setup, django_db_blocker):
    """Migrated, empty branch schemas that committed test branches left behind, for the next one."""
    spares: list[str] = []
    yield spares
    with django_db_blocker.unblock(), connection.cursor() as cur:
        for schema in spares:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def _committed_branch(django_db_blocker, spares: list[str]):
    """A throw-away branch whose writes are committed (visible to a worker process).

    Made by the real `branch_create`, or, when an earlier test left a spare schema, as
    `branch_create` makes it (row, audit stamp, routing entry) on that schema, renamed."""
    _spare_branch_schemas = spares
    from branches import services
    from branches.audit import stamp
    from branches.models import Branch, Domain, User

    code = "t" + uuid.uuid4().hex[:8]
    data = services.BranchInput(code=code, name=code, city="beijing")
    with django_db_blocker.unblock():
        if not _spare_branch_schemas:
            branch = services.branch_create(actor=None, data=data)
        else:
            services.validate_branch_input(data)
            branch = Branch(schema_name=Branch.schema_for_code(code), code=code, name=data.name, city=data.city)
            branch.auto_create_schema = False  # the schema is there, migrated and empty
            stamp(branch, actor=None, reason="branch created")
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute(f'ALTER SCHEMA "{_spare_branch_schemas.pop()}" RENAME TO "{branch.schema_name}"')
                branch.save()
                Domain.objects.create(domain=code, tenant=branch, is_primary=True)
        before_users = set(User.objects.values_list("pk", flat=True))
        # A month filed in the branch locks the city's policy version (public, `locked_at`), and
        # a locked version refuses item changes in every later test on this worker.
        policies = city_policies_now()
    try:
        with django_db_blocker.unblock():
            yield branch
    finally:
        with django_db_blocker.unblock():
            drop_committed([branch], before_users, keep_schemas=_spare_branch_schemas)
            city_policies_put_back(policies)


@pytest.fixture
def committed_branch(django_db_setup, django_db_blocker, _spare_branch_schemas):
    with _committed_branch(django_db_blocker, _spare_branch_schemas) as branch:
        yield branch


@pytest.fixture
def second_committed_branch(committed_branch, django_db_setup, django_db_blocker, _spare_branch_schemas):
    """Another committed branch, for events that cross branches (跨区域支援) through a worker."""
    with _committed_branch(django_db_blocker, _spare_branch_schemas) as branch:
        yield branch


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup):
    """A real `celery -A hrsaas worker` process on the real Redis, against the test database."""
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    yield from _celery_worker(["-P", "solo"], worker_file(".test-worker.log"))


@pytest.fixture
def celery_prefork_worker(django_db_setup, celery_worker_process):
    """A second worker with several processes (prefork), so that tasks of one branch-period and
    of two branches really run at the same time — as in production."""
    concurrency = os.environ.get("TEST_WORKER_CONCURRENCY", "3")
    yield from _celery_worker(["-P", "prefork", "-c", concurrency], worker_file(".test-worker-prefork.log"))


@pytest.fixture
def celery_two_process_worker(django_db_setup):
    """Only a prefork worker with two processes (no solo worker beside it, no beat): the set-up of
    issue #19's report, where nothing but the queued messages moves markers."""
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    yield from _celery_worker(["-P", "prefork", "-c", "2"], ROOT / ".test-worker-prefork.log")


def _celery_worker(pool_args: list[str], log_path: Path, *, database_url: str | None = None):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="hrsaas.settings_test",
        DATABASE_URL=database_url or _test_database_url(),
        REDIS_URL=TEST_REDIS_URL,
        CELERY_BROKER_URL=TEST_REDIS_URL,
        HRSAAS_TESTING="1",
        # The delivery tests' webhook is a loopback server: allowed for this worker only (the
        # test process keeps production's empty list; see notifications/webhooks.py).
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32",
    )
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hrsaas", "worker", *pool_args, "-l", "INFO",
         "--without-gossip", "--without-mingle", "-n", f"test-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited: see {log_path.name}")
        if "ready." in log_path.read_text(errors="replace"):
            break
        time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError("celery worker did not become ready in 30 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def wait_for(predicate, timeout: float = 45.0, interval: float = 0.1):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium for Playwright: its headless shell (package chromium-headless-shell, the
    same Blink built without the browser's window layer, what Playwright itself launches for
    headless runs) when installed, else the full browser in headless mode. The shell rendered
    the page sweep with half the CPU (45 s against 91 s for tests/browser/test_shell.py)."""
    for path in (shutil.which("chromium-headless-shell"), shutil.which("chromium"), "/usr/bin/chromium"):
        if path and Path(path).exists():
            return path
    pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
