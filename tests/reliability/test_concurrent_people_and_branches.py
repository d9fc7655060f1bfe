"""HQ's creates sent several times at once (a retrying import script, a double click): a new
person or branch is made once, and every other request gets the same 400 a request sent after it
gets — never a 500, never a second account whose name differs only in case."""
from __future__ import annotations

import json

from django.db import connection

from tests.concurrency import at_once
from tests.factories import make_user


def _at_once(user, path: str, bodies: list[dict]) -> list[tuple[int, dict] | str]:
    """POST each JSON body to `path` from its own connection, all at one moment: (status, JSON)."""
    def send(body):
        def post(web):
            resp = web.post(path, json.dumps(body), content_type="application/json")
            return resp.status_code, resp.json()
        return post

    return at_once(user, [send(body) for body in bodies])


def test_one_person_of_a_name_in_any_case_when_sent_at_once(committed_branch):
    from branches.models import User

    admin = make_user(f"{committed_branch.code}_hq", (None, "hq_admin"))
    names = ["Race.Two", "race.two", "RACE.TWO", "race.two"]
    answers = _at_once(admin, "/api/v1/users/", [
        {"username": name, "password": "Strong-Pass-2026!", "display_name": "赛跑", "home_branch": None,
         "roles": [{"branch": None, "role": "hq_finance"}]} for name in names])
    assert all(isinstance(a, tuple) for a in answers), answers
    created = [body for status, body in answers if status == 201]
    refused = [(status, body) for status, body in answers if status != 201]
    assert len(created) == 1, answers
    others = list(names)
    others.remove(created[0]["username"])
    assert sorted(refused, key=str) == sorted([(400, {"username": [f"用户名“{name}”已存在。"]}) for name in others],
                                              key=str), answers
    assert list(User.objects.filter(username__iexact="race.two").values_list("username", flat=True)) == [
        created[0]["username"]]


def test_one_branch_of_a_code_when_sent_at_once(committed_branch, _spare_branch_schemas):
    from branches.models import Branch, User
    from tests.conftest import drop_committed

    admin = make_user(f"{committed_branch.code}_hq2", (None, "hq_admin"))
    before = set(User.objects.values_list("pk", flat=True))
    code = f"{committed_branch.code}-b"
    try:
        answers = _at_once(admin, "/api/v1/branches/", [{"code": code, "name": "深圳二部", "city": "beijing"}] * 3)
        assert all(isinstance(a, tuple) for a in answers), answers
        assert sorted(status for status, _body in answers) == [201, 400, 400], answers
        assert [body for status, body in answers if status == 400] == [{"code": [f"编码“{code}”已被使用。"]}] * 2
        made = Branch.objects.get(code=code)
        with connection.cursor() as cur:  # the one made is whole: its schema is there
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [made.schema_name])
            assert cur.fetchone()[0] > 50
    finally:
        drop_committed(list(Branch.objects.filter(code=code)), before, keep_schemas=_spare_branch_schemas)
