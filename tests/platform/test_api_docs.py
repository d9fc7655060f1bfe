"""API docs work offline and a branch's schema describes that branch's own paths."""
from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from tests.factories import TEST_PASSWORD, make_user


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_from_this_server_only(client, branches):
    make_user("docs_reader", (None, "hq_admin"))
    client.login(username="docs_reader", password=TEST_PASSWORD)

    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3, assets
    for url in assets:
        assert url.startswith("/"), f"{url} is not served by this server"
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
    assert "<script>" not in html.replace(" ", ""), "the start-up code must come from a file"


@pytest.mark.django_db
def test_a_branch_schema_lists_that_branchs_paths_and_they_answer(client, branches):
    make_user("docs_staff", ("bj", "branch_manager"))
    client.login(username="docs_staff", password=TEST_PASSWORD)

    schema = client.get("/b/bj/api/v1/schema/", HTTP_ACCEPT="application/json")

    assert schema.status_code == 200
    paths = list(schema.json()["paths"])
    assert len(paths) >= 20
    assert all(p.startswith("/b/bj/api/v1/") for p in paths), [p for p in paths if not p.startswith("/b/bj/")][:5]
    statements = "/b/bj/api/v1/statements/"
    assert statements in paths
    assert client.get(statements, {"period": "2026-01"}).status_code == 200


@pytest.mark.django_db
def test_hqs_schema_is_the_whole_api_branch_endpoints_under_a_branch_parameter(client, branches):
    """API.md: "The OpenAPI schema of the whole API is served at /api/v1/schema/" — every endpoint
    of the contract, HQ's and the branches' (the branch's code a path parameter)."""
    make_user("docs_hq", (None, "hq_admin"))
    client.login(username="docs_hq", password=TEST_PASSWORD)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    # Swagger UI renders the description as Markdown: "/b/<code>/" lost "<code>" as a tag
    assert "/b/{branch}/api/v1/" in schema["info"]["description"] and "<" not in schema["info"]["description"]
    paths = schema["paths"]
    contract = {
        "/api/v1/auth/token/": "post", "/api/v1/branches/": "post", "/api/v1/users/": "post",
        "/api/v1/rules/": "get", "/api/v1/adjustments/": "get", "/api/v1/adjustments/{id}/revoke/": "post",
        "/api/v1/leaderboards/": "get",
        "/b/{branch}/api/v1/adjustments/": "post", "/b/{branch}/api/v1/adjustments/{id}/approve/": "post",
        "/b/{branch}/api/v1/adjustments/{id}/reject/": "post", "/b/{branch}/api/v1/clients/": "post",
        "/b/{branch}/api/v1/clients/{id}/close/": "post", "/b/{branch}/api/v1/sales/": "post",
        "/b/{branch}/api/v1/leads/": "post", "/b/{branch}/api/v1/leads/{id}/sign/": "post",
        "/b/{branch}/api/v1/recompute/": "post", "/b/{branch}/api/v1/statements/": "get",
        "/b/{branch}/api/v1/statements/{username}/{period}/": "get",
        "/b/{branch}/api/v1/periods/{period}/close/": "post", "/b/{branch}/api/v1/leaderboards/": "get",
        "/b/{branch}/api/v1/si/contributions/preview/": "post",
    }
    normalised = {re.sub(r"\{[a-z_]*id\}", "{id}", p): p for p in paths}
    missing = [p for p, method in contract.items() if method not in paths.get(normalised.get(p, p), {})]
    assert missing == [], (missing, [p for p in paths if p.startswith("/b/")][:10])
    branch_op = paths[normalised["/b/{branch}/api/v1/statements/"]]["get"]
    assert any(p["name"] == "branch" and p["in"] == "path" for p in branch_op["parameters"])
    assert not any("/b/bj/" in p for p in paths)  # no one branch's code


@pytest.mark.django_db
def test_client_contacts_do_not_get_the_map_of_internal_endpoints(client, branches):
    make_user("docs_contact", ("bj", "client_contact"))
    make_user("docs_seller", ("bj", "sales"))
    client.login(username="docs_contact", password=TEST_PASSWORD)
    for url in ("/api/v1/schema/", "/b/bj/api/v1/schema/"):
        refused = client.get(url, {"format": "json"})
        assert refused.status_code == 403, url
        assert refused.json() == {"detail": "接口文档仅供本公司员工查看。"} and "paths" not in refused.content.decode()
    for url in ("/api/v1/schema/", "/b/bj/api/v1/schema/"):  # YAML by default, but a refusal is JSON
        refused = client.get(url)
        assert refused.status_code == 403 and refused.json() == {"detail": "接口文档仅供本公司员工查看。"}, url
    for url in ("/api/v1/docs/", "/b/bj/api/v1/docs/"):
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 403 and "swagger" not in html.lower(), url
        assert page["Content-Type"].startswith("text/html") and "接口文档仅供本公司员工查看。" in html, url
    # anyone who works for the company reads both (a seller: HQ's and their branch's)
    client.login(username="docs_seller", password=TEST_PASSWORD)
    for url in ("/api/v1/schema/", "/b/bj/api/v1/schema/"):
        assert "paths" in client.get(url, {"format": "json"}).json(), url
    assert client.get("/b/bj/api/v1/docs/").status_code == 200


@pytest.mark.django_db
def test_the_schema_documents_the_contracts_error_answers(client, branches):
    make_user("docs_admin", (None, "hq_admin"))
    client.login(username="docs_admin", password=TEST_PASSWORD)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    create_user = schema["paths"]["/api/v1/users/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404"} <= set(create_user)
    assert create_user["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Detail"]["required"] == ["detail"]
    board = schema["paths"]["/api/v1/leaderboards/"]["get"]["responses"]
    assert {"200", "400", "403"} <= set(board)
    row = schema["components"]["schemas"]["LeaderboardRow"]["properties"]
    assert {"type": "integer"} in row["value"]["oneOf"]  # openings are counts, money is text


@pytest.mark.django_db
def test_the_schema_says_a_rejection_needs_a_note_and_an_approval_not(client, branches):
    """The API refuses a rejection without a note (400 note) and takes an approval without one;
    the schema said the note was optional for both."""
    make_user("docs_admin2", (None, "hq_admin"))
    client.login(username="docs_admin2", password=TEST_PASSWORD)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    paths = {re.sub(r"\{[a-z_]*id\}", "{id}", p): ops for p, ops in schema["paths"].items()}
    body = {}
    for decision in ("approve", "reject"):
        op = paths[f"/b/{{branch}}/api/v1/adjustments/{{id}}/{decision}/"]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        body[decision] = schema["components"]["schemas"][ref]
    assert "note" in body["approve"]["properties"] and "note" not in body["approve"].get("required", [])
    assert body["reject"]["required"] == ["note"]


@pytest.mark.django_db
def test_the_schema_is_generated_once_per_path_language_and_format(client, branches, monkeypatch):
    """The schema is the same for every reader: generated once and sent again as it was, per
    path, language and format; a refusal is still decided per request."""
    from drf_spectacular.generators import SchemaGenerator

    from hrsaas import common_urls

    common_urls._rendered.clear()
    generated = []
    original = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema",
                        lambda self, *a, **kw: generated.append(1) or original(self, *a, **kw))
    make_user("docs_cache", ("bj", "branch_manager"))
    make_user("docs_cache_contact", ("bj", "client_contact"))
    client.login(username="docs_cache", password=TEST_PASSWORD)

    yaml_first, yaml_again = client.get("/b/bj/api/v1/schema/"), client.get("/b/bj/api/v1/schema/")
    assert len(generated) == 1
    assert yaml_first.status_code == yaml_again.status_code == 200
    assert yaml_first.content == yaml_again.content and yaml_again.content.startswith(b"openapi:")
    assert yaml_again["Content-Type"] == yaml_first["Content-Type"]
    assert yaml_again["Content-Disposition"] == yaml_first["Content-Disposition"]

    as_json = client.get("/b/bj/api/v1/schema/", {"format": "json"})
    assert len(generated) == 2 and as_json.json()["paths"]
    in_english = client.get("/b/bj/api/v1/schema/", {"format": "json", "lang": "en"})
    assert len(generated) == 3 and in_english.content != as_json.content
    hq = client.get("/api/v1/schema/", {"format": "json"})
    assert len(generated) == 4 and "/api/v1/branches/" in hq.json()["paths"]
    assert client.get("/b/bj/api/v1/schema/", {"format": "json"}).content == as_json.content
    assert len(generated) == 4
    # `?version=` changes the document (info.version, the file name): its own entry, never
    # what the next reader of the plain URL gets.
    other = client.get("/b/bj/api/v1/schema/", {"format": "json", "version": "EVIL"})
    assert len(generated) == 5 and "EVIL" in other.json()["info"]["version"]
    plain = client.get("/b/bj/api/v1/schema/", {"format": "json"})
    assert plain.json()["info"]["version"] == "1.0.0" and "EVIL" not in plain["Content-Disposition"]
    assert len(generated) == 5

    client.login(username="docs_cache_contact", password=TEST_PASSWORD)
    refused = client.get("/b/bj/api/v1/schema/", {"format": "json"})
    assert refused.status_code == 403 and "paths" not in refused.content.decode()
    client.logout()
    assert client.get("/b/bj/api/v1/schema/").status_code == 401
