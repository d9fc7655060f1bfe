"""The shell's navigation, built once from the role matrix (BRIEF: who sees what).

Every page renders the same side menu (desktop) and, for earners, the same bottom tab bar
(phone); which entries a person gets is decided here and nowhere else, from their roles in the
branch of the URL (or their HQ roles at `/`). An entry links only to a page that exists and that
the role may open — the page itself still checks (deny by default); this only avoids showing
doors that would answer 404."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .roles import EARNER_ROLES, Role

MANAGER = frozenset({Role.BRANCH_MANAGER, Role.HQ_ADMIN})
OFFICE = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})  # 人事/运营 and above
COMMISSION_READERS = OFFICE | {Role.HQ_FINANCE}
INSIDERS = OFFICE | EARNER_ROLES | {Role.HQ_FINANCE}


@dataclass(frozen=True)
class Entry:
    key: str  # which module is "current" (the page's `nav` block, or the URL prefix)
    label: str
    url: str
    icon: str = ""  # a glyph for the phone tab bar


# The earners who record and work leads themselves (marketing: their leads; sales: they sign).
LEAD_WORKERS = frozenset({Role.MARKETING, Role.SALES})


def _is(roles, allowed) -> bool:
    return bool(set(roles) & set(allowed))


def is_outsider(roles) -> bool:
    """A client contact and nothing else: sees only their own company (客户联系人)."""
    return Role.CLIENT_CONTACT in roles and not (set(roles) & INSIDERS)


def is_earner_only(roles) -> bool:
    """Specialists, marketing and sales without an office role: phone-first, tab bar."""
    return bool(set(roles) & EARNER_ROLES) and not (set(roles) & (OFFICE | {Role.HQ_FINANCE}))


def branch_menu(code: str, roles) -> list[Entry]:
    """The side menu of a branch, in the order of the business day."""
    b = f"/b/{code}"
    roles = frozenset(roles)
    if is_outsider(roles):
        # The client's words: they pay (付款); receiving it (回款, 已收) is the office's side.
        return [Entry("home", _("费用与付款"), f"{b}/"), Entry("people", _("参保人员"), f"{b}/si/account/people/"),
                Entry("inbox", _("消息"), f"{b}/inbox/")]
    menu: list[Entry] = []
    if is_earner_only(roles):
        menu.append(Entry("me", _("我的业绩"), f"{b}/me/"))
        if roles & LEAD_WORKERS:
            menu.append(Entry("leads", _("我的线索"), f"{b}/leads/"))
        menu.append(Entry("statement", _("我的提成单"), f"{b}/me/statement/"))
        menu.append(Entry("claims", _("奖励申领"), f"{b}/me/claims/"))
        menu.append(Entry("inquiries", _("我的申诉"), f"{b}/me/inquiries/"))
        menu.append(Entry("estimate", _("收入估算"), f"{b}/me/estimate/"))
        menu.append(Entry("performance", _("我的考核"), f"{b}/performance/mine/"))
    else:
        menu.append(Entry("home", _("工作台"), f"{b}/"))
        if _is(roles, OFFICE):
            menu.append(Entry("clients", pgettext_lazy("menu", "客户"), f"{b}/clients/"))  # one client is 客户 too
            menu.append(Entry("leads", _("线索"), f"{b}/leads/"))
            menu.append(Entry("employees", _("参保员工"), f"{b}/si/employees/"))
            menu.append(Entry("si", _("社保月度"), f"{b}/si/"))
            menu.append(Entry("arrears", _("应收账龄"), f"{b}/si/arrears/"))
        if _is(roles, COMMISSION_READERS):
            menu.append(Entry("commissions", _("提成"), f"{b}/commissions/"))
        if _is(roles, MANAGER):
            menu.append(Entry("review", _("申领与申诉"), f"{b}/review/"))
        if _is(roles, MANAGER | {Role.HQ_FINANCE}):
            menu.append(Entry("history", _("历史与并行期"), f"{b}/history/"))
        if _is(roles, OFFICE):
            menu.append(Entry("performance", _("绩效"), f"{b}/performance/"))
        if _is(roles, MANAGER):
            menu.append(Entry("settings", _("设置"), f"{b}/settings/notifications/"))
    menu.append(Entry("inbox", _("消息"), f"{b}/inbox/"))
    return menu


def branch_tabs(code: str, roles) -> list[Entry]:
    """The phone's bottom tab bar, for earners only (首页, 业绩, 申请, 消息)."""
    if not is_earner_only(roles):
        return []
    b = f"/b/{code}"
    # Marketing and sales work leads; specialists claim opening rewards.
    third = (Entry("leads", _("线索"), f"{b}/leads/", "✚") if frozenset(roles) & LEAD_WORKERS
             and Role.SPECIALIST not in roles else Entry("claims", _("申请"), f"{b}/me/claims/", "✚"))
    return [Entry("me", _("首页"), f"{b}/me/", "⌂"), Entry("statement", _("业绩"), f"{b}/me/statement/", "¥"),
            third, Entry("inbox", _("消息"), f"{b}/inbox/", "✉")]


def hq_menu(hq_roles) -> list[Entry]:
    roles = frozenset(hq_roles)
    admin = Role.HQ_ADMIN in roles
    menu = [Entry("home", _("工作台"), "/")]
    if admin:
        menu.append(Entry("branches", _("分支机构"), "/branches/"))
    menu.append(Entry("dashboard", _("提成看板"), "/commissions/dashboard/"))
    menu.append(Entry("finance", _("结算与发放"), "/commissions/finance/"))
    if admin:
        menu.append(Entry("rules", _("提成方案"), "/commissions/rules/"))
        menu.append(Entry("register", _("浮动调整备案"), "/commissions/adjustments/"))
    menu.append(Entry("si-policies", _("社保政策"), "/si/policies/"))
    menu.append(Entry("si-duplicates", _("重复参保"), "/si/duplicates/"))
    if admin:
        menu.append(Entry("people", _("人员与角色"), "/people/"))
    return menu


def current_key(path: str, menu: list[Entry]) -> str:
    """The entry whose URL is the longest prefix of the path (工作台 only for itself)."""
    best, length = "", -1
    for entry in menu:
        if path == entry.url or (entry.key != "home" and path.startswith(entry.url)):
            if len(entry.url) > length:
                best, length = entry.key, len(entry.url)
    return best


def landing_url(code: str, roles) -> str | None:
    """Where a person lands in a branch: earners on their phone home, everyone else on the
    branch workbench (a client contact's workbench is their company's fee statements)."""
    if is_earner_only(roles):
        return f"/b/{code}/me/"
    return None
