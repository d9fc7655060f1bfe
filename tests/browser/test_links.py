"""Every link a role is shown opens: from each demo role's home, the pages its links lead to
(three clicks deep, downloads included) answer 200 for that role. A link to a missing page or to
one the role may not open is a dead end for a person — the manager's 浮动调整待审批 to-do once
led to a 404 that no sweep of the menus reached.

In process with Django's test client on the committed demo organisation (the `demo` fixture of
tests/browser/conftest.py). GET only; the pages were checked not to write (a crawl of every role
changed no row but the sign-ins' own)."""
from __future__ import annotations

import re

import pytest
from django.test import Client

ROLES = ["admin", "finance", "bj.manager", "bj.staff", "bj.s1", "bj.marketing", "bj.sales", "bj.client"]
DEPTH = 3
MAX_PAGES = 150  # per role: the home, its lists and their first pages are what people open most
_HREF = re.compile(r'href="(/[^"#]*)"')
_LEAVE = re.compile(r"^//|^/logout/|^/static/|^/media/")


@pytest.mark.parametrize("username", ROLES)
def test_every_link_a_role_is_shown_opens(demo, django_db_blocker, username):
    from branches.models import User

    with django_db_blocker.unblock():
        client = Client()
        client.force_login(User.objects.get(username=username))
        linked_from: dict[str, str] = {"/": "(home)"}
        frontier, seen, dead = ["/"], set(), []
        for _depth in range(DEPTH + 1):
            found = []
            for path in frontier:
                if path in seen or len(seen) >= MAX_PAGES:
                    continue
                seen.add(path)
                response = client.get(path, follow=True)
                if response.status_code != 200:
                    dead.append((path, response.status_code, linked_from[path]))
                    continue
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                for href in _HREF.findall(response.content.decode("utf-8", "replace")):
                    href = href.replace("&amp;", "&")
                    if not _LEAVE.search(href) and href not in linked_from:
                        linked_from[href] = path
                        found.append(href)
            frontier = found
    assert dead == [], dead
    assert len(seen) >= 5, (username, sorted(seen))  # the crawl reached the role's pages (a client contact has 6)
