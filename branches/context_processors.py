from __future__ import annotations

from django.db import connection
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import navigation as nav
from hrsaas.core.labels import role_labels

from .roles import hq_roles_of, is_hq_admin, roles_in_branch


class _Unread:
    """The unread count, asked for at most once per page (the side menu and the tab bar both
    show it) and only on pages that render it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        from notifications.selectors import unread_count

        return unread_count(self.user)


def navigation(request) -> dict:
    """What the base layout needs: the current branch, the user's branches and roles, and the
    shell's menu (branches/navigation.py decides which entries a role gets).

    `branch_read_only`: the branch of the page is deactivated, so BranchAccessMiddleware refuses
    every write to it. Pages then offer no form, button or link whose only use is a write (the
    form partial shows why instead) and no to-do: the one switch every template reads."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    branch = tenant if tenant is not None and getattr(tenant, "schema_name", "public") != "public" else None
    read_only = branch is not None and not branch.active
    if user is None or not user.is_authenticated:
        return {"current_branch": branch, "branch_read_only": read_only}
    from .selectors import branches_for

    roles = sorted(roles_in_branch(user, branch)) if branch else []
    if branch is not None:
        menu = nav.branch_menu(branch.code, roles)
        tabs = nav.branch_tabs(branch.code, roles)
        shown_roles = roles
    else:
        hq_roles = sorted(hq_roles_of(user))
        menu = nav.hq_menu(hq_roles) if hq_roles else []
        tabs = []
        shown_roles = hq_roles
    path = getattr(request, "path", "")
    branches = list(branches_for(user))
    # The branch switcher: HQ (for HQ people) and every branch the person belongs to.
    places = ([{"url": "/", "name": _("总部"), "current": branch is None}] if hq_roles_of(user) else []) + [
        {"url": f"/b/{b.code}/", "name": b.name, "current": branch is not None and b.pk == branch.pk} for b in branches]
    return {
        "current_branch": branch,
        "branch_read_only": read_only,
        "my_branches": branches,
        "shell_places": places,
        "is_hq_admin": is_hq_admin(user),
        "branch_roles": roles,
        "shell_menu": menu,
        "shell_tabs": tabs,
        "shell_current": nav.current_key(path, menu + tabs),
        # The most senior role, in words (分支机构经理), for the user menu.
        "shell_role": (role_labels(shown_roles) or [""])[0],
        "shell_unread": _Unread(user) if branch is not None else None,
    }

