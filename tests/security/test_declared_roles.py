"""Deny by default: every branch and HQ route declares who may use it, and a view that
declares nothing refuses everyone (API and page alike)."""
from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from branches.pages import PUBLIC_URL_NAMES, declared_page_roles
from branches.permissions import DeclaredRoles, declared_roles

# The API schema is closed by its own permission (SchemaReader: signed-in people, a branch's
# schema for its members); the token endpoint is public on purpose and declares so.
THIRD_PARTY = {"SchemaApi"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _declarations(urlconf_module):
    """(route, kind, {method: roles}) of every route; kind is "api" or "page"."""
    out = []
    for route, pattern in _walk(urlconf_module.urlpatterns):
        view = pattern.callback
        cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
        if cls is not None and cls.__name__ in THIRD_PARTY:
            continue
        if pattern.name in PUBLIC_URL_NAMES or route.startswith("i18n/"):
            continue
        if cls is not None and issubclass(cls, APIView):
            instance = cls(**getattr(view, "initkwargs", {}))
            classes = instance.get_permissions()
            assert any(isinstance(c, DeclaredRoles) for c in classes) or cls.__name__ == "TokenApi", (route, classes)
            handled = [m for m in METHODS if hasattr(cls, m.lower())]
            out.append((route, "api", {m: declared_roles(instance, m) for m in handled}))
        else:
            handled = [m for m in METHODS if m in ("GET", "POST")]
            out.append((route, "page", {m: declared_page_roles(view, m) for m in handled}))
    return out


@pytest.mark.parametrize("which, floor", [("urls_branch", 107), ("urls_hq", 34)])
def test_every_route_declares_its_roles(which, floor):
    import importlib

    module = importlib.import_module(f"hrsaas.{which}")
    declarations = _declarations(module)
    undeclared = [(route, kind, m) for route, kind, by_method in declarations
                  for m, roles in by_method.items() if not roles]
    assert undeclared == []
    # The walk really covered the routes (a count floor: routes are only ever added).
    assert len(declarations) >= floor, len(declarations)


def test_a_client_contact_is_never_declared_on_commission_board_appraisal_or_claim_routes():
    from branches.roles import Role
    from hrsaas import urls_branch

    checked = 0
    for route, kind, by_method in _declarations(urls_branch):
        if not any(word in route for word in ("commissions/", "statements/", "leaderboards", "performance/", "claims",
                                              "me/", "review/", "adjustments", "sales", "leads", "recompute",
                                              "periods/")):
            continue
        if route.startswith(("api/v1/si/", "si/")):
            continue  # social insurance: a client contact's fee statements (their own company)
        for roles in by_method.values():
            assert Role.CLIENT_CONTACT not in roles, route
            checked += 1
    assert checked >= 40, checked


class _Forgotten(APIView):
    """A new API whose author forgot to declare roles."""

    def get(self, request):
        return Response({"secret": 1})


def test_an_api_view_without_a_declaration_refuses_everyone(db):
    from tests.factories import make_user

    admin = make_user("forgot_admin", (None, "hq_admin"))
    request = APIRequestFactory().get("/api/v1/forgotten/")
    force_authenticate(request, user=admin)
    response = _Forgotten.as_view()(request)
    assert response.status_code == 403
    assert "未声明" in str(response.data["detail"])


def test_a_page_without_a_declaration_refuses_everyone(db):
    from branches.middleware import BranchAccessMiddleware
    from tests.factories import make_user

    def forgotten_page(request):
        return HttpResponse("secret")

    request = RequestFactory().get("/forgotten/")
    request.user = make_user("forgot_admin2", (None, "hq_admin"))
    request.tenant = None
    response = BranchAccessMiddleware(lambda r: HttpResponse("secret")).process_view(request, forgotten_page, (), {})
    assert response is not None and response.status_code == 403
    assert "未声明" in response.content.decode()
