"""Parsing of event input (API bodies and import rows alike) into typed values.

Each parser raises one Django ValidationError mapping field → messages, so the API's 400 and an
import's per-row report say the same thing."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import BranchMembership, User
from branches.roles import EARNER_ROLES
from clients.models import Service
from hrsaas.dates import parse_day

PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MAX_AMOUNT = Decimal("999999999999.99")


class Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def parse_text(data: dict, field: str, errors: Errors, *, max_length: int = 200, required: bool = True) -> str:
    value = data.get(field)
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors.add(field, _("必填。"))
    elif len(value) > max_length:
        errors.add(field, _("最多 %(n)d 个字符。") % {"n": max_length})
    return value


def parse_int(data: dict, field: str, errors: Errors, *, low: int = 1, high: int = 10_000_000) -> int | None:
    value = data.get(field)
    if isinstance(value, bool) or value is None or value == "":
        errors.add(field, _("必填,须为整数。"))
        return None
    if isinstance(value, float):
        if not value.is_integer():
            errors.add(field, _("须为整数。"))
            return None
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            errors.add(field, _("须为整数。"))
            return None
        value = int(text)
    if not isinstance(value, int):
        errors.add(field, _("须为整数。"))
        return None
    if value < low:
        errors.add(field, _("须大于等于 %(n)d。") % {"n": low})
    elif value > high:
        errors.add(field, _("须小于等于 %(n)d。") % {"n": high})
    return value


def parse_money(data: dict, field: str, errors: Errors) -> Decimal | None:
    """A positive amount with at most 2 decimal places; more places are refused, never rounded."""
    value = data.get(field)
    if value is None or value == "" or isinstance(value, bool):
        errors.add(field, _("必填,须为金额,例如 \"1000.00\"。"))
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors.add(field, _("不是有效的金额:%(v)s") % {"v": value})
        return None
    if not amount.is_finite():
        errors.add(field, _("不是有效的金额:%(v)s") % {"v": value})
        return None
    if -amount.as_tuple().exponent > 2:
        errors.add(field, _("金额最多保留 2 位小数。"))
        return None
    if amount <= 0:
        errors.add(field, _("金额须大于 0。"))
        return None
    if amount > MAX_AMOUNT:
        errors.add(field, _("金额过大。"))
        return None
    return amount


def parse_date(data: dict, field: str, errors: Errors, *, required: bool = True,
               not_after_today: bool = False) -> dt.date | None:
    """A YYYY-MM-DD day. With `not_after_today` (openings, sales, signings: things that have
    happened) a day after today (Asia/Shanghai) is refused — an opening dated next year would
    create that year's period, which a manager could then close."""
    value = data.get(field)
    try:
        day = parse_day(value)
    except ValueError:
        errors.add(field, _("日期格式须为 YYYY-MM-DD:%(v)s") % {"v": value})
        return None
    if day is None and required:
        errors.add(field, _("必填,格式 YYYY-MM-DD。"))
    if day is not None and not_after_today and day > timezone.localdate():
        errors.add(field, _("日期 %(d)s 晚于今天(%(t)s):只能录入已经发生的事。")
                   % {"d": day.isoformat(), "t": timezone.localdate().isoformat()})
        return None
    return day


def parse_period(data: dict, field: str, errors: Errors, *, not_after_this_month: bool = False) -> str | None:
    value = data.get(field)
    text = "" if value is None else str(value).strip()
    if not PERIOD_RE.match(text):
        errors.add(field, _("期间格式须为 YYYY-MM:%(v)s") % {"v": value})
        return None
    this_month = timezone.localdate().strftime("%Y-%m")
    if not_after_this_month and text > this_month:
        errors.add(field, _("期间 %(p)s 晚于本月(%(m)s):只能录入已经发生的销售。") % {"p": text, "m": this_month})
        return None
    return text


def parse_service(data: dict, field: str, errors: Errors) -> str | None:
    value = data.get(field)
    if value not in Service.values:
        errors.add(field, _("未知服务:%(v)s(可选:%(all)s)") % {"v": value, "all": ", ".join(Service.values)})
        return None
    return value


def parse_services(data: dict, field: str, errors: Errors) -> list[str]:
    value = data.get(field, [])
    if value is None:
        return []
    if isinstance(value, str):
        value = [s.strip() for s in re.split(r"[,;,;|\s]+", value) if s.strip()]
    if not isinstance(value, list):
        errors.add(field, _("须为服务列表。"))
        return []
    out = []
    for s in value:
        if s not in Service.values:
            errors.add(field, _("未知服务:%(v)s(可选:%(all)s)") % {"v": s, "all": ", ".join(Service.values)})
        elif s not in out:
            out.append(s)
    return out


def parse_earner(data: dict, field: str, errors: Errors, *, required: bool = True) -> User | None:
    """A username of someone who earns commission (specialist, marketing or sales) in any branch:
    another branch's specialist is allowed (跨区域支援)."""
    value = data.get(field)
    username = "" if value is None else str(value).strip()
    if not username:
        if required:
            errors.add(field, _("必填,须为用户名。"))
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        errors.add(field, _("未知用户:%(u)s") % {"u": username})
        return None
    if not BranchMembership.objects.filter(user=user, branch__isnull=False, role__in=list(EARNER_ROLES)).exists():
        errors.add(field, _("%(u)s 不是专员、市场或销售人员,不能计提成。") % {"u": username})
        return None
    return user


def parse_bool(data: dict, field: str, errors: Errors, *, default: bool) -> bool:
    value = data.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "是"}:
        return True
    if text in {"0", "false", "no", "n", "否"}:
        return False
    errors.add(field, _("须为 true 或 false。"))
    return default
