"""Roles, and the one helper that answers "may this person do that here?"."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("总部管理员")
    HQ_FINANCE = "hq_finance", _("总部财务")
    BRANCH_MANAGER = "branch_manager", _("分支机构经理")
    BRANCH_STAFF = "branch_staff", _("分支机构人事/运营")
    SPECIALIST = "specialist", _("社保专员")
    MARKETING = "marketing", _("市场")
    SALES = "sales", _("销售")
    CLIENT_CONTACT = "client_contact", _("客户联系人")


HQ_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_FINANCE})
# Roles that earn commission and therefore have statements of their own.
EARNER_ROLES = frozenset({Role.SPECIALIST, Role.MARKETING, Role.SALES})
# Roles of a branch that may read every statement of it (colleagues' pay, 薪酬保密: the SPEC gives
# it to managers and HQ; branch staff record the events that make it, not read what it comes to).
BRANCH_READ_ALL = frozenset({Role.BRANCH_MANAGER})


def is_hq_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return Role.HQ_ADMIN in hq_roles_of(user)


def hq_roles_of(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    roles = {m.role for m in _memberships(user) if m.branch_id is None}
    if user.is_superuser:
        roles.add(Role.HQ_ADMIN)
    return frozenset(roles)


def roles_in_branch(user, branch) -> frozenset[str]:
    """The roles `user` holds in `branch`. HQ admins hold every branch role implicitly."""
    if not getattr(user, "is_authenticated", False) or branch is None or branch.pk is None:
        # pk None: the stand-in for an unknown branch code (BranchSubfolderMiddleware); it must
        # not match HQ memberships, whose branch_id is None too.
        return frozenset()
    roles = {m.role for m in _memberships(user) if m.branch_id == branch.pk}
    if is_hq_admin(user):
        roles |= {Role.HQ_ADMIN, Role.BRANCH_MANAGER}
    if Role.HQ_FINANCE in hq_roles_of(user):
        roles.add(Role.HQ_FINANCE)
    return frozenset(roles)


def is_branch_manager(user, branch) -> bool:
    """A manager of `branch` by membership. HQ admins hold the manager's role implicitly to read
    and run a branch, but the branch's own decisions — approving or rejecting its float (API: "branch
    manager only") and closing its month — are its manager's; HQ revokes in the register instead."""
    if not getattr(user, "is_authenticated", False) or branch is None or branch.pk is None:
        return False
    return any(m.branch_id == branch.pk and m.role == Role.BRANCH_MANAGER for m in _memberships(user))


def branch_managers(branch) -> set[int]:
    """The ids of `branch`'s managers by membership (active accounts)."""
    from .models import BranchMembership

    return set(BranchMembership.objects.filter(branch=branch, role=Role.BRANCH_MANAGER, user__is_active=True)
               .values_list("user_id", flat=True))


def may_decide_adjustment(user, branch, proposed_by_id) -> bool:
    """Who approves or rejects a branch's float: its manager. HQ admin steps in only where the
    branch has no other manager to be the second pair of eyes — the proposal is a manager's own
    (four eyes: never the proposer) or the branch has no manager at all."""
    if is_branch_manager(user, branch):
        return True
    if not is_hq_admin(user):
        return False
    managers = branch_managers(branch)
    return not managers or proposed_by_id in managers


def may_close_month(user, branch) -> bool:
    """Closing a branch's month is its manager's; HQ admin closes it only for a branch without one
    (a new branch, or one whose manager left), so that its people can still be paid."""
    return is_branch_manager(user, branch) or (is_hq_admin(user) and not branch_managers(branch))


def has_branch_role(user, branch, *roles: str) -> bool:
    return bool(roles_in_branch(user, branch) & set(roles))


def can_enter_branch(user, branch) -> bool:
    return bool(roles_in_branch(user, branch))


def _memberships(user):
    # One query per request: memberships are cached on the user object.
    cached = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = list(user.memberships.all())
        user._membership_cache = cached
    return cached


# ---------------------------------------------------------------------------------------------
# Role lists that views declare (the role matrix, docs/security.md). HQ admins pass every
# branch list implicitly (they hold the manager's role in every branch).
# ---------------------------------------------------------------------------------------------
MANAGER = frozenset({Role.BRANCH_MANAGER})
OFFICE = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF})           # manager and 人事/运营
OFFICE_AND_FINANCE = OFFICE | {Role.HQ_FINANCE}                       # + HQ finance reading statements
# Everyone who works for the company in a branch (client contacts are outsiders).
INSIDERS = OFFICE | EARNER_ROLES | {Role.HQ_FINANCE}
# Commission statements (pay, 薪酬保密): the manager and HQ read all, an earner their own.
STATEMENT_READERS = MANAGER | EARNER_ROLES | {Role.HQ_FINANCE}
EVERY_BRANCH_ROLE = INSIDERS | {Role.CLIENT_CONTACT}
# Commission amounts of other people (metric=commission boards): managers and HQ only.
COMMISSION_AMOUNT_READERS = frozenset({Role.BRANCH_MANAGER, Role.HQ_ADMIN, Role.HQ_FINANCE})
HQ_ADMIN_ONLY = frozenset({Role.HQ_ADMIN})
CLIENT_CONTACTS = frozenset({Role.CLIENT_CONTACT})
HQ_ANY = HQ_ROLES


def all_roles_of(user) -> frozenset[str]:
    """Every role `user` holds anywhere: HQ roles and the roles of each branch (for HQ routes
    that branch people may use, e.g. the company leaderboard)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return hq_roles_of(user) | {m.role for m in _memberships(user) if m.branch_id is not None}


def works_for_the_company(user, branch=None) -> bool:
    """An insider of `branch` (or, in HQ, of anywhere): any role but client contact. A client
    contact is an outsider whatever else they may read of their own company."""
    if is_hq_admin(user):
        return True
    held = roles_in_branch(user, branch) if branch is not None else all_roles_of(user)
    return bool(held - CLIENT_CONTACTS)


def may_read_commission_amounts(user, branch=None) -> bool:
    """Other people's commission amounts (metric=commission boards): a manager of `branch`, HQ
    admin, HQ finance. In HQ (branch None) the board ranks every branch's earners, so only HQ
    roles: a branch manager sees the pay of their own branch, never another's."""
    held = roles_in_branch(user, branch) if branch is not None else hq_roles_of(user)
    return bool(held & COMMISSION_AMOUNT_READERS) or is_hq_admin(user)
