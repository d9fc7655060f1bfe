"""Scoped reads for branches and people."""
from __future__ import annotations


from django.http import Http404

from .models import Branch, User
from .roles import can_enter_branch, is_hq_admin


def branches_for(user):
    """Branches (not HQ) the user may enter, in code order."""
    qs = Branch.objects.exclude(schema_name="public").order_by("code")
    if is_hq_admin(user):
        return qs
    return qs.filter(memberships__user=user).distinct()




def access_branch(user, code: str) -> Branch:
    branch = Branch.objects.exclude(schema_name="public").filter(code=code).first()
    if branch is None or not (is_hq_admin(user) or can_enter_branch(user, branch)):
        raise Http404
    return branch


def users_in_branch(branch: Branch):
    return User.objects.filter(memberships__branch=branch).distinct()


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def active_branches():
    return Branch.objects.exclude(schema_name="public").filter(active=True).order_by("code")
