from __future__ import annotations

from django.db import connection

from .roles import is_hq_admin, roles_in_branch


def navigation(request) -> dict:
    """What the base layout needs: the current branch, the user's branches and roles."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    branch = tenant if tenant is not None and getattr(tenant, "schema_name", "public") != "public" else None
    if user is None or not user.is_authenticated:
        return {"current_branch": branch}
    from .selectors import branches_for

    return {
        "current_branch": branch,
        "my_branches": list(branches_for(user)),
        "is_hq_admin": is_hq_admin(user),
        "branch_roles": sorted(roles_in_branch(user, branch)) if branch else [],
    }
