"""Pages: a person must belong to the branch of the URL and hold a role the page declares;
an inactive branch is read-only. HQ pages likewise check the HQ roles they declare.

The API does the same through DRF's default permission class (token users are only known
there): branches/permissions.py. Declarations: branches/pages.py.
"""
from __future__ import annotations

import re
from functools import lru_cache

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseForbidden
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django_tenants.middleware import TenantSubfolderMiddleware
from rest_framework.views import APIView

from .models import Branch
from .pages import PUBLIC_URL_NAMES, SIGNED_IN, declared_page_roles
from .permissions import PUBLIC, InBranch, JsonRefusals
from .roles import Role, all_roles_of, can_enter_branch, is_hq_admin, roles_in_branch


@lru_cache(maxsize=4096)  # one URLconf module per branch code, for the process's life
def _urlconf_of(subfolder: str):
    from django_tenants.urlresolvers import get_subfolder_urlconf

    class Subfolder:  # all django-tenants reads of the tenant here
        domain_subfolder = subfolder

    return get_subfolder_urlconf(Subfolder())


_TENANTS: dict[str, tuple[str, object]] = {}  # routing key → (generation, Branch) in this process


def _cached_tenant(route: str, load, request=None):
    """The Branch for a route key ("" for HQ's public tenant, else a branch code): a copy of the
    one this process read, while the `tenants` generation in Redis (bumped by any save or
    delete of a branch or a route) is the one it was read under; else `load()` (None: no such
    branch; not kept). With Redis away, always `load()`; inside a transaction, once per route
    and transaction (`_in_transaction`)."""
    import copy

    from hrsaas.core import prepared

    if not prepared.usable():
        return _in_transaction(route, load)
    from .tokens import prefetch

    held = _TENANTS.get(route)
    # An API request with a token: its prepared token entry, and the prepared body it most
    # likely asks for (keyed by the branch this process last saw at this route; the view uses
    # it only if the key is the one it reads), come in the same round trip.
    generation = None
    if request is not None:
        schema = "public" if route == "" else (held[1].schema_name if held is not None else None)
        bodies = prepared.likely_bodies(request, schema) if schema is not None else []
        generation = (prefetch(request, also=["tenants"], bodies=bodies) or [None])[0]
    generation = generation or prepared.generation("tenants")
    if generation is not None and held is not None and held[0] == generation:
        return copy.copy(held[1])
    tenant = load()
    if generation is not None and tenant is not None:
        if len(_TENANTS) > 10000:
            _TENANTS.clear()
        _TENANTS[route] = (generation, copy.copy(tenant))
    return tenant


def _in_transaction(route: str, load):
    """The Branch for a route inside a transaction: the process-wide copies are trusted only
    under a generation bumped on commit, so they may not hold this transaction's own writes.
    Here a route is read once per transaction instead. No request of the product runs inside one
    (no ATOMIC_REQUESTS, and it would wrap the view, not this middleware): these are the requests
    a test makes inside its transaction.

    The copies are tied to the connection's list of commit hooks, which Django replaces when a
    transaction an atomic block opened commits or rolls back (or a savepoint rolls back, or the
    connection closes), so a copy never outlives the transaction it was read in; in manual
    transaction mode (autocommit off, the commit the caller's), nothing is kept. A save or delete
    of a branch or a route drops them at once (`_tenants_changed`); what other connections commit
    meanwhile, and writes that skip the signals (`QuerySet.update`), are seen from the next
    transaction on."""
    import copy

    from django.db import connection

    # commit_on_exit: the outermost atomic block opened this transaction and ends it.
    if not (connection.in_atomic_block and connection.commit_on_exit):
        return load()
    hooks, held = getattr(connection, "_branch_routes", (None, None))
    if hooks is not connection.run_on_commit:
        held = {}
        connection._branch_routes = (connection.run_on_commit, held)
    if route in held:
        return copy.copy(held[route])
    tenant = load()
    if tenant is not None:
        held[route] = copy.copy(tenant)
    return tenant


def _tenants_changed(sender, raw=False, **kwargs):
    from django.db import connection

    connection._branch_routes = (None, None)
    if not raw:
        from hrsaas.core import prepared

        prepared.changed(["tenants"])


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import Domain

    for model in (Branch, Domain):
        post_save.connect(_tenants_changed, sender=model, dispatch_uid=f"tenants-save-{model.__name__}")
        post_delete.connect(_tenants_changed, sender=model, dispatch_uid=f"tenants-delete-{model.__name__}")


class BranchSubfolderMiddleware(TenantSubfolderMiddleware):
    """django-tenants' `/b/<code>/` routing, except that an unknown code is not a bare 404: it is
    routed as a branch nobody belongs to, so that `/b/<unknown>/…` answers exactly as a real
    branch that is not the caller's (login redirect, 401, 404 alike) and codes cannot be probed.
    The stand-in is never saved and the connection stays on the public schema; no view of it
    runs (BranchAccessMiddleware answers first).

    Branch rows are resolved without a query per request (`_cached_tenant`)."""

    def process_request(self, request):
        if hasattr(request, "tenant"):
            return
        from django.db import connection
        from django.urls import set_urlconf
        from django_tenants.utils import get_public_schema_name, get_subfolder_prefix

        connection.set_schema_to_public()
        hostname = self.hostname_from_request(request)
        prefix = "/{}/".format(get_subfolder_prefix())
        urlconf = None
        if not request.path.startswith(prefix):
            tenant = _cached_tenant("", lambda: Branch.objects.filter(schema_name=get_public_schema_name()).first(),
                                    request)
            if tenant is None:
                raise self.TENANT_NOT_FOUND_EXCEPTION("Unable to find public tenant")
            self.setup_url_routing(request, force_public=True)
        else:
            subfolder = request.path[len(prefix):].split("/")[0]
            tenant = _cached_tenant(subfolder, lambda: self._branch_of(subfolder), request)
            if tenant is None:
                return self.no_tenant_found(request, subfolder)
            tenant.domain_subfolder = subfolder
            urlconf = self.get_urlconf(tenant=tenant)
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(request.tenant)
        # django-tenants clears the URL caches here because it makes a new URLconf per request;
        # ours is one module per branch code (get_urlconf), so its resolver stays cached.
        if urlconf:
            request.urlconf = urlconf
            set_urlconf(urlconf)

    @staticmethod
    def get_urlconf(tenant):
        return _urlconf_of(tenant.domain_subfolder)

    @staticmethod
    def _branch_of(subfolder: str):
        from .models import Domain

        domain = Domain.objects.select_related("tenant").filter(domain=subfolder).first()
        return domain.tenant if domain is not None else None

    def no_tenant_found(self, request, hostname):
        from django.db import connection
        from django.urls import clear_url_caches, set_urlconf

        tenant = Branch(code=hostname, name="", schema_name="-unknown-")  # pk None: no one's branch
        tenant.domain_subfolder = hostname
        tenant.domain_url = self.hostname_from_request(request)
        request.tenant = tenant
        request.unknown_branch = True
        connection.set_schema_to_public()
        clear_url_caches()
        urlconf = self.get_urlconf(tenant=tenant)
        request.urlconf = urlconf
        set_urlconf(urlconf)


class _NotYourBranchApi(JsonRefusals, APIView):
    """What any branch API view answers a caller outside the branch: its authentication, then
    InBranch (401 without credentials, 404 with)."""

    permission_classes = [InBranch]

    def get(self, request, *args, **kwargs):  # never reached: InBranch refuses first
        raise Http404

    post = put = patch = delete = get


@lru_cache(maxsize=None)  # one per API view class: bounded by the routes
def _not_your_branch_view(cls):
    """The stand-in with the real view's authentication, negotiation and renderers, so that the
    refusal reads byte for byte as the real view's (the schema's is YAML, not JSON)."""
    attrs = {name: getattr(cls, name) for name in (
        "authentication_classes", "renderer_classes", "content_negotiation_class", "parser_classes")}
    attrs["refusals_as_json"] = getattr(cls, "refusals_as_json", False)
    return type(f"NotYourBranch{cls.__name__}", (_NotYourBranchApi,), attrs).as_view()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_api(request, tenant) -> bool:
    prefix = "/api/" if tenant is None or tenant.schema_name == "public" else f"/b/{tenant.code}/api/"
    return request.path.startswith(prefix)


class BranchAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if getattr(request, "unknown_branch", False):
            return self._unknown_branch(request)
        if tenant is not None and tenant.schema_name != "public" and not _is_api(request, tenant):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "/login/")
            if not (is_hq_admin(user) or can_enter_branch(user, tenant)):
                raise Http404
            if request.method not in SAFE_METHODS and not tenant.active:
                # The app's own refusal page (with its menus), not a bare line of text.
                raise PermissionDenied(_("该分支机构已停用,数据只读。"))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Deny by default: the page's declared roles, before the view runs."""
        tenant = getattr(request, "tenant", None)
        if _is_api(request, tenant):
            return None  # DRF's DeclaredRoles
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PUBLIC_URL_NAMES:
            return None
        roles = declared_page_roles(view_func, request.method)
        if roles is None or not roles:
            return HttpResponseForbidden(_("此页面未声明可访问的角色,默认拒绝。"))
        if roles is PUBLIC:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        if tenant is not None and tenant.schema_name != "public":
            held = roles_in_branch(user, tenant)
            if not held & (frozenset(roles) | {Role.HQ_ADMIN}):
                if held & getattr(view_func, "page_forbidden_to", frozenset()):
                    raise PermissionDenied
                raise Http404
            return None
        if roles is SIGNED_IN or is_hq_admin(user) or all_roles_of(user) & frozenset(roles):
            return None
        raise Http404

    def _unknown_branch(self, request):
        """As a real branch answers someone outside it: pages (and the docs page) redirect
        anonymous visitors to sign in and give others 404; API views give 401/404 through
        their own authentication and InBranch; a path no route matches is a 404."""
        if request.path.startswith(f"/b/{request.tenant.domain_subfolder}/api/"):
            try:
                match = resolve(request.path_info, urlconf=request.urlconf)
            except Resolver404:
                raise Http404 from None
            if getattr(match.func, "cls", None) is not None and issubclass(match.func.cls, APIView):
                response = _not_your_branch_view(match.func.cls)(request, *match.args, **match.kwargs)
                return response.render()  # as Django's handler would, before the outer middleware
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        raise Http404


class OutsiderFenceMiddleware:
    """A client contact (客户联系人) is an outsider: in a branch they may open only their
    company's pages — the workbench listing its fee statements, payments and arrears, a fee
    statement, the people insured through it (si/employees/, si/account/people/), and their inbox. Every other branch page (commissions, boards,
    appraisals, claims, specialist pages…) answers 404, whatever that page's own checks say,
    so a new page is closed to them by default (a client contact once read every specialist's
    pay at /me/?metric=commission)."""

    ALLOWED = re.compile(r"^(|si/statements/[0-9]+/|si/employees/.*|si/account/.*|inbox/.*|i18n/.*)$")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if tenant is not None and tenant.schema_name != "public" and user is not None and user.is_authenticated:
            prefix = f"/b/{tenant.code}/"
            rest = request.path[len(prefix):] if request.path.startswith(prefix) else None
            if rest is not None and not rest.startswith("api/") and not self.ALLOWED.match(rest):
                from .navigation import is_outsider

                if is_outsider(roles_in_branch(user, tenant)):
                    raise Http404
        return self.get_response(request)


class RefusalHeadersMiddleware:
    """DRF names a view's methods in `Allow` on every answer. On a refusal that must read the same
    for a real branch and an unknown code (401, 403, 404), that header would tell them apart (the
    stand-in for unknown codes has every method): it is dropped there. A 405 keeps it, as HTTP
    asks — and a 405 is only given to a caller who may see the branch (DeclaredRoles)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (401, 403, 404) and response.has_header("Allow"):
            del response["Allow"]
        return response
