"""Who may open a page: a role list each page view declares (deny by default).

    @page_roles(R.OFFICE)                             # every method
    @page_roles({"GET": R.INSIDERS, "POST": R.EARNER_ROLES})

BranchAccessMiddleware reads the declaration before the view runs (process_view): under a
branch the caller must belong to it and hold one of the roles (HQ admins pass); in HQ the
caller must hold one of the roles in HQ or in any branch. Lacking the role answers 404 like
the pages always did (a page does not say what exists). A page whose view declares nothing is
refused to everyone with a 403 that says so. Per-view checks of ownership stay in selectors.
"""
from __future__ import annotations

from .permissions import PUBLIC
from .roles import INSIDERS, Role

# In HQ: anyone signed in (the HQ landing page sends branch people on to their branch).
SIGNED_IN = frozenset({"signed_in"})

# Pages of Django and libraries that are not ours to decorate: sign-in, sign-out, language.
PUBLIC_URL_NAMES = frozenset({"login", "logout", "set_language"})

__all__ = ["PUBLIC", "SIGNED_IN", "INSIDERS", "Role", "page_roles", "declared_page_roles", "PUBLIC_URL_NAMES"]


def page_roles(roles, *, forbidden_to=frozenset()):
    """Declare the roles that may open this page (a set, or a dict by method with "*").

    Lacking the role answers 404; people holding one of `forbidden_to` get 403 instead (a page
    they can see the link to, e.g. staff on the manager's close-period page)."""

    def decorate(view):
        view.page_roles = roles
        view.page_forbidden_to = frozenset(forbidden_to)
        return view

    return decorate


def declared_page_roles(view_func, method: str):
    roles = getattr(view_func, "page_roles", None)
    if roles is None and hasattr(view_func, "view_class"):
        roles = getattr(view_func.view_class, "page_roles", None)
    if isinstance(roles, dict):
        key = "GET" if method in ("HEAD", "OPTIONS") and "GET" in roles else method
        roles = roles.get(key, roles.get("*"))
    return roles
