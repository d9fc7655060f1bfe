"""The current branch: of the database connection's schema, or of a request.

django-tenants gives a real Branch on requests but only a stand-in tenant (FakeTenant) inside
`schema_context` and in workers; `current_branch()` always answers with the Branch row."""
from __future__ import annotations

from django.db import connection


def current_branch():
    """The Branch of the current schema, or None in HQ (the public schema)."""
    from branches.models import Branch

    tenant = getattr(connection, "tenant", None)
    schema = getattr(tenant, "schema_name", None) or connection.schema_name
    if not schema or schema == "public":
        return None
    if isinstance(tenant, Branch):
        return tenant
    cached = getattr(tenant, "_branch_row", None)
    if cached is not None and cached.schema_name == schema:
        return cached
    branch = Branch.objects.get(schema_name=schema)
    if tenant is not None:
        try:
            tenant._branch_row = branch
        except AttributeError:
            pass
    return branch


def require_branch(what: str = "this service"):
    """The current Branch; RuntimeError in HQ (code that only makes sense inside a branch)."""
    branch = current_branch()
    if branch is None:
        raise RuntimeError(f"{what} runs inside a branch schema")
    return branch


def request_branch(request):
    """The branch a request is addressed to (`/b/<code>/…`), or None for HQ."""
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return None
    return tenant
