"""Branch isolation at the platform level: pages, cache keys, uploads, moving between branches."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404

from branches.uploads import serve_branch_file
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_one_login_moves_between_the_branches_of_ones_roles(client, branches):
    person = make_user("two.branches", ("bj", "specialist"), ("sh", "branch_staff"), home="bj")
    client.force_login(person)

    # A specialist's branch home is their phone home (/me/); in Shanghai they are staff (工作台).
    assert client.get("/b/bj/", follow=True).status_code == 200
    assert client.get("/b/bj/").url == "/b/bj/me/"
    assert client.get("/b/sh/").status_code == 200
    assert client.get("/b/gz/").status_code == 404
    assert client.get("/").url == "/b/bj/"  # HQ home sends branch people to their home branch


def test_anonymous_branch_pages_redirect_to_login(client, branches):
    response = client.get("/b/bj/inbox/")
    assert response.status_code == 302 and response.url.startswith("/login/?next=/b/bj/inbox/")


def test_cache_keys_carry_the_branch(branches):
    with in_branch("bj"):
        cache.set("leaderboard:2026-11", "bj-data", 30)
    with in_branch("sh"):
        assert cache.get("leaderboard:2026-11") is None
        cache.set("leaderboard:2026-11", "sh-data", 30)
    with in_branch("bj"):
        assert cache.get("leaderboard:2026-11") == "bj-data"
        cache.delete("leaderboard:2026-11")
    with in_branch("sh"):
        cache.delete("leaderboard:2026-11")


def test_uploads_are_stored_per_branch_and_never_served_to_another(branches):
    with in_branch("bj"):
        name = default_storage.save("claims/licence.png", ContentFile(b"\x89PNG bj"))
        assert name.startswith("br_bj/claims/")
        response = serve_branch_file(name)
        assert b"".join(response.streaming_content) == b"\x89PNG bj"
        assert response["Cache-Control"] == "private, no-store"
        with pytest.raises(ValueError):
            default_storage.url(name)  # no public URL exists
    with in_branch("sh"):
        with pytest.raises(Http404):
            serve_branch_file(name)
        with pytest.raises(Http404):
            serve_branch_file("br_sh/../br_bj/" + name.split("/", 1)[1])
    with in_branch("bj"):
        default_storage.delete(name)


def test_pages_are_chinese_by_default_even_for_an_english_browser_until_english_is_picked(client, branches):
    person = make_user("lang.user", ("bj", "specialist"))
    client.force_login(person)

    page = client.get("/b/bj/me/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page

    client.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/me/"})
    page = client.get("/b/bj/me/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="en"' in page
