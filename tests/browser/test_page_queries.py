"""Server time of the main pages on the demo data: every page of each role's navigation (and
the statements a manager and a specialist open most) answers within a small, fixed number of
queries — a page whose count grows with the data (N+1) would pass on an empty branch and crawl
on a real one — and within 150 ms (in process, on the demo data: the best of up to ten tries,
stopping at the first under the limit, since the other test workers share the two cores and can
stretch any one try; a page that is slow is slow in every try).

In process with Django's test client on the committed demo organisation the browser sweep uses
(the `demo` fixture of tests/browser/conftest.py): no browser is started here."""
from __future__ import annotations

import re
import time
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone


# The most a main page needs today is the SI month board (40: the month's stages and counts);
# most pages need 12–25. What must never happen is a query repeated per row (N+1): a query shape
# (numbers and strings blanked) seen more than REPEATS times on one page fails the test.
MAX_QUERIES = 40
REPEATS = 3
MAX_MS = 150
TRIES = 10
ROLES = ["admin", "finance", "bj.manager", "bj.staff", "bj.s1", "bj.marketing", "bj.sales", "bj.client"]


def _pages(user) -> list[str]:
    from branches import navigation as nav
    from branches.roles import hq_roles_of, roles_in_branch
    from branches.models import Branch

    hq = sorted(hq_roles_of(user))
    if hq:
        return [e.url for e in nav.hq_menu(hq)]
    branch = Branch.objects.get(code="beijing")
    roles = roles_in_branch(user, branch)
    period = f"{timezone.localdate():%Y-%m}"
    extra = []
    if nav.is_earner_only(roles):
        extra = [f"/b/beijing/me/statement/{period}/"]
    elif "branch_manager" in roles:
        extra = [f"/b/beijing/commissions/statements/{period}/", f"/b/beijing/commissions/statements/{period}/bj.s1/"]
    return [e.url for e in nav.branch_menu("beijing", roles) + nav.branch_tabs("beijing", roles)] + extra


@pytest.mark.parametrize("username", ROLES)
def test_main_pages_answer_within_a_fixed_number_of_queries_and_150_ms(demo, django_db_blocker, username):
    from branches.models import User

    problems, measured = [], 0
    with django_db_blocker.unblock():
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for path in dict.fromkeys(_pages(user)):
            client.get(path, follow=True)  # warm: templates, translations, the tenant's routing
            connection.set_schema_to_public()
            sql: list[str] = []

            def count(execute, query, params, many, context):
                sql.append(query)
                return execute(query, params, many, context)

            with connection.execute_wrapper(count):
                response = client.get(path, follow=True)
            connection.set_schema_to_public()
            best = None
            for _ in range(TRIES):
                start = time.perf_counter()
                client.get(path, follow=True)
                elapsed = (time.perf_counter() - start) * 1000
                best = elapsed if best is None else min(best, elapsed)
                connection.set_schema_to_public()
                if best <= MAX_MS:
                    break
            queries = len(sql)
            shapes = Counter(re.sub(r"\b\d+\b|'[^']*'", "?", q) for q in sql)
            for shape, n in shapes.items():
                if n > REPEATS and not shape.startswith("SET "):  # the tenant's search_path, per cursor
                    problems.append(f"{path}: the same query {n} times (N+1?): {shape[:300]}")
            print(f"{username:14} {path:60} {response.status_code} {queries:3} queries {best:6.1f} ms")
            if response.status_code != 200:
                problems.append(f"{path}: status {response.status_code}")
            if queries == 0 or queries > MAX_QUERIES:  # none: the page was not measured
                problems.append(f"{path}: {queries} queries")
            if best > MAX_MS:
                problems.append(f"{path}: {best:.0f} ms")
            measured += 1
    assert measured >= 2, measured
    assert not problems, "\n".join(problems)
