"""HQ's people-and-roles pages: only HQ admins; bad input shown next to the field; audited."""
from __future__ import annotations

import pytest

from branches.models import BranchMembership, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_hq_admin_creates_a_person_with_a_role_from_the_page(client, hq_admin, branches):
    client.force_login(hq_admin)

    response = client.post("/people/", {"username": "li.na", "display_name": "李娜", "email": "li.na@example.com",
                                        "password": "S3cure-pass-2026", "home_branch": "sh",
                                        "role_branch": "sh", "role": "specialist"})

    person = User.objects.get(username="li.na")
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert [(m.branch.code, m.role) for m in person.memberships.all()] == [("sh", "specialist")]
    assert person.history.latest().history_user_id == hq_admin.pk


def test_bad_person_input_is_shown_next_to_the_field_and_kept(client, hq_admin, branches):
    client.force_login(hq_admin)

    response = client.post("/people/", {"username": "hqadmin", "display_name": "重名", "password": "123",
                                        "role_branch": "", "role": "specialist"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "已存在" in html and 'value="重名"' in html
    assert "须指定分支机构" in html
    assert User.objects.filter(display_name="重名").count() == 0


def test_grant_and_revoke_roles_and_deactivate(client, hq_admin, branches):
    person = make_user("zhou", ("bj", "specialist"))
    client.force_login(hq_admin)

    client.post(f"/people/{person.pk}/", {"action": "grant", "role_branch": "gz", "role": "branch_staff"})
    assert person.memberships.filter(branch__code="gz", role="branch_staff").exists()
    dup = client.post(f"/people/{person.pk}/", {"action": "grant", "role_branch": "gz", "role": "branch_staff"})
    assert "已有此角色" in dup.content.decode()
    membership = person.memberships.get(branch__code="bj")
    client.post(f"/people/{person.pk}/", {"action": "revoke", "membership": membership.pk})
    assert not BranchMembership.objects.filter(pk=membership.pk).exists()
    client.post(f"/people/{person.pk}/", {"action": "deactivate"})
    person.refresh_from_db()
    assert person.is_active is False


@pytest.mark.parametrize("roles", [[(None, "hq_finance")], [("bj", "branch_manager")], [("bj", "specialist")]])
def test_people_pages_are_hq_admin_only(client, branches, roles):
    user = make_user(None, *roles)
    victim = make_user("victim", ("bj", "specialist"))
    client.force_login(user)

    assert client.get("/people/").status_code == 404
    assert client.get(f"/people/{victim.pk}/").status_code == 404
    client.post(f"/people/{victim.pk}/", {"action": "deactivate"})
    victim.refresh_from_db()
    assert victim.is_active is True


def test_signing_in_stamps_last_login_without_a_history_row(client, branches):
    from branches.models import User
    from tests.factories import TEST_PASSWORD

    person = make_user("signs.in", ("bj", "branch_staff"), home="bj")
    rows = User.history.filter(id=person.pk).count()
    for _ in range(2):
        response = client.post("/login/", {"username": "signs.in", "password": TEST_PASSWORD})
        assert response.status_code == 302
        client.logout()
    person.refresh_from_db()
    assert person.last_login is not None
    assert User.history.filter(id=person.pk).count() == rows
    person.first_name = "改名"
    person.save()  # a real change is still in the history
    assert User.history.filter(id=person.pk).count() == rows + 1
