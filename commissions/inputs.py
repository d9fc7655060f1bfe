"""Parsing of event input (API bodies and import rows alike) into typed values.

Each parser raises one Django ValidationError mapping field → messages, so the API's 400 and an
import's per-row report say the same thing."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _, pgettext

from branches.models import BranchMembership, User
from branches.roles import EARNER_ROLES, Role
from clients.models import Service
from hrsaas.core.inputs import (  # noqa: F401  (the shared field parsers, re-exported)
    Errors, parse_bool, parse_date, parse_int, parse_money, parse_period, parse_text, refused_character,
    unknown_choice,
)
from hrsaas.core.money import MAX_AMOUNT  # noqa: F401
from hrsaas.core.period import PERIOD_RE  # noqa: F401

# Services by their Chinese names too (the words on staff's own spreadsheets).
SERVICE_NAMES = {"社保代缴": Service.SOCIAL_INSURANCE, "社保": Service.SOCIAL_INSURANCE,
                 "公积金代缴": Service.HOUSING_FUND, "公积金": Service.HOUSING_FUND,
                 "薪酬外包": Service.PAYROLL_OUTSOURCING}


# What an earner field says when the name is not someone with the role it needs (lazy: the
# message is in the language of the request).
MARKETERS = frozenset({Role.MARKETING})
SELLERS = frozenset({Role.SALES})
_EARNER_MESSAGES = {
    EARNER_ROLES: lambda: _("%(u)s 不是专员、市场或销售人员,不能计提成。"),
    MARKETERS: lambda: _("%(u)s 不是市场人员:市场线索须记在市场人员名下。"),
    SELLERS: lambda: _("%(u)s 不是销售人员:签约销售须为销售人员。"),
}


def service_code(value):
    """A service's code from its code or its Chinese name; the value itself when unknown (a JSON
    list or object too: it is never looked up, since it cannot be a name)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in SERVICE_NAMES:
        return SERVICE_NAMES[text]
    # The name in the reader's language too: the list a refusal offers must be accepted as written.
    by_label = {str(label).casefold(): code for code, label in Service.choices}
    return by_label.get(text.casefold(), text)


def parse_service(data: dict, field: str, errors: Errors) -> str | None:
    value = service_code(data.get(field))
    if value is not None and not isinstance(value, str):
        errors.add(field, _("须为一项服务的名称。"))
        return None
    if value not in Service.values:
        errors.add(field, unknown_choice(value, what=pgettext("in a sentence", "服务"), choices=Service.labels))
        return None
    return value


def services_from_text(text: str) -> list[str]:
    """A spreadsheet cell's services ("社保、公积金", "social_insurance,housing_fund") as a list."""
    return [s.strip() for s in re.split(r"[,;,;、|\s]+", text) if s.strip()]


def parse_services(data: dict, field: str, errors: Errors) -> list[str]:
    """A list of services (by code or name). Text is refused, not split: an API body sends a JSON
    list, a form its ticked boxes; an import splits its cell first (`services_from_text`)."""
    value = data.get(field, [])
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(field, _("须为服务列表。"))
        return []
    out = []
    for s in map(service_code, value):
        if s not in Service.values:
            errors.add(field, unknown_choice(s, what=pgettext("in a sentence", "服务"), choices=Service.labels))
        elif s not in out:
            out.append(s)
    return out


def parse_earner(data: dict, field: str, errors: Errors, *, required: bool = True,
                 roles: frozenset[str] = EARNER_ROLES) -> User | None:
    """A username of someone who earns commission in any branch, in one of `roles` (a lead's
    marketer is a marketer, its closing seller a seller): another branch's specialist is allowed
    (跨区域支援). An unknown name and someone without the role get the same
    message, so a field never tells whether an account exists."""
    value = data.get(field)
    if isinstance(value, (bool, list, tuple, dict, set)):
        errors.add(field, _("须为用户名。"))
        return None
    username = "" if value is None else str(value).strip()
    if not username:
        if required:
            errors.add(field, _("必填,须为用户名。"))
        return None
    refusal = refused_character(username)
    if refusal:  # NUL and the like: refused by the field, not by the database driver
        errors.add(field, refusal)
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not BranchMembership.objects.filter(user=user, branch__isnull=False,
                                                           role__in=list(roles)).exists():
        by_name = earner_by_name(username, roles, errors, field)
        if by_name is not None or field in errors.errors:
            return by_name
        errors.add(field, _EARNER_MESSAGES.get(roles, _EARNER_MESSAGES[EARNER_ROLES])() % {"u": username[:150]})
        return None
    return user


def earner_by_name(name: str, roles: frozenset[str], errors: Errors, field: str) -> User | None:
    """Someone of this branch with one of `roles` by the name people know them by (张三, as on
    the office's own spreadsheets), when the text is no such person's username. Only this
    branch's people, whom its pages list anyway: a name never finds another branch's account.
    Two such people of one name: the field asks for the username, naming neither."""
    from hrsaas.core.branch import current_branch

    branch = current_branch()
    if branch is None or not name:
        return None
    found = list(User.objects.filter(
        display_name=name, is_active=True,
        pk__in=BranchMembership.objects.filter(branch=branch, role__in=list(roles)).values("user_id"))[:2])
    if len(found) > 1:
        errors.add(field, _("本分支机构有不止一位名为 %(u)s 的人员,请填写用户名。") % {"u": name[:150]})
        return None
    return found[0] if found else None

