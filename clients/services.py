"""Writes for client companies (客户). Opening a client is the 开户 event of commissions."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from branches.audit import stamp
from branches.models import User
from commissions import inputs
from hrsaas.core.formatting import format_date

from . import keys
from .models import FEE_FIELDS, Client, Grade, OpeningSource

MAX_FEE = Decimal("100000.00")  # per insured person per month


@dataclass(frozen=True)
class ClientInput:
    name: str
    headcount: int
    opened_on: dt.date
    opened_by: User
    services: list[str]
    contract_no: str = ""
    city: str = ""
    grade: str = Grade.NORMAL
    credit_code: str = ""
    # 服务费 per service (元/人·月); absent services bill none.
    fees: dict = field(default_factory=dict)
    opening_source: str = OpeningSource.MANUAL


def parse_service_fees(data: dict, errors: inputs.Errors) -> dict[str, Decimal]:
    """`fee_social_insurance`, `fee_housing_fund`, `fee_payroll_outsourcing`: optional amounts in
    yuan per insured person per month (blank = no fee), 0 to 100,000.00, two decimals at most."""
    from hrsaas.core.inputs import number_as_text
    from hrsaas.core.money import MoneyError, normalise_amount_text, parse_money

    fees = {}
    for service, name in FEE_FIELDS.items():
        value = data.get(name)
        if value is None or (isinstance(value, str) and not normalise_amount_text(value)):
            fees[service] = Decimal("0.00")
            continue
        try:
            fees[service] = parse_money(value, minimum=Decimal(0), maximum=MAX_FEE)
        except MoneyError as exc:
            if exc.code == "number":
                errors.add(name, number_as_text())
            else:
                errors.add(name, _("服务费须为 0 至 100,000.00 元/人·月的金额,最多两位小数。") if exc.code != "places"
                           else _("金额最多保留 2 位小数。"))
    return fees


def parse_opening_source(data: dict, errors: inputs.Errors) -> str:
    """`opening_source`: "manual" (default: the opening date and headcount as entered pay the
    opening reward) or "awaiting" (the opening follows from the client's first filed month)."""
    value = str(data.get("opening_source") or OpeningSource.MANUAL).strip()
    if value not in (OpeningSource.MANUAL, OpeningSource.AWAITING):
        errors.add("opening_source", _("开户来源只能是手工录入(manual)或取自首个申报月(awaiting)。"))
        return OpeningSource.MANUAL
    return value


def parse_credit_code(data: dict, field: str, errors: inputs.Errors) -> str:
    """Optional; full-width characters, spaces and lower case are forgiven, a wrong check
    character is not (a typo would otherwise defeat the duplicate check)."""
    code = keys.normalise_credit_code(str(data.get(field) or ""))
    if code:
        problem = keys.credit_code_problem(code)
        if problem:
            errors.add(field, problem)
    return code


def _parse_grade(data: dict, errors: inputs.Errors) -> str:
    """客户等级: optional (普通 when absent); the code or its label (VIP / 普通)."""
    value = str(data.get("grade") or "").strip()
    if not value:
        return Grade.NORMAL
    by_label = {str(label): code for code, label in Grade.choices} | {"普通": Grade.NORMAL, "VIP": Grade.VIP}
    code = value.lower() if value.lower() in Grade.values else by_label.get(value)
    if code is None:
        errors.add("grade", _("未知客户等级:%(v)s(可选:VIP、普通)") % {"v": value})
        return Grade.NORMAL
    return code


def parse_client(data: dict) -> ClientInput:
    errors = inputs.Errors()
    name = inputs.parse_text(data, "name", errors, single_line=True)
    headcount = inputs.parse_int(data, "headcount", errors, low=1)
    opened_on = inputs.parse_date(data, "opened_on", errors, not_after_today=True)
    opened_by = inputs.parse_earner(data, "opened_by", errors)
    services = inputs.parse_services(data, "services", errors)
    contract_no = inputs.parse_text(data, "contract_no", errors, max_length=60, required=False)
    city = inputs.parse_text(data, "city", errors, max_length=30, required=False)
    grade = _parse_grade(data, errors)
    credit_code = parse_credit_code(data, "credit_code", errors)
    fees = parse_service_fees(data, errors)
    opening_source = parse_opening_source(data, errors)
    errors.raise_if_any()
    return ClientInput(name=name, headcount=headcount, opened_on=opened_on, opened_by=opened_by,
                       services=services, contract_no=contract_no, city=city, grade=grade,
                       credit_code=credit_code, fees=fees, opening_source=opening_source)


def _lock_client_keys() -> None:
    """One 开户 or rename at a time per branch while its duplicate check runs (openings are few;
    a unique index cannot say "same code, or same name where one side has no code")."""
    from django.db import connection

    from hrsaas.core import locks

    locks.take((locks.Lock.CLIENT_KEYS, f"{connection.schema_name}:clients:keys"))


def client_duplicate_of(*, name: str, credit_code: str, exclude_id: int | None = None) -> Client | None:
    """The client already recorded in this branch as the same company, if any: same
    统一社会信用代码; or the same normalised name where either record has no code (then nothing
    tells them apart). Two records with different codes are two companies, whatever their names.
    `exclude_id`: the record being edited (an edit must not make it a duplicate either)."""
    name_key = keys.normalise_name(name)
    others = Client.objects.exclude(pk=exclude_id) if exclude_id else Client.objects.all()
    if credit_code:
        return (others.filter(credit_code=credit_code).order_by("pk").first()
                or others.filter(name_key=name_key, credit_code="").order_by("pk").first())
    return others.filter(name_key=name_key).order_by("pk").first()


def duplicate_error(first: Client, *, by_code: bool) -> ValidationError:
    field = "credit_code" if by_code else "name"
    what = _("统一社会信用代码") if by_code else _("名称")
    error = ValidationError(
        {field: [_("本分支机构已有同一客户(%(what)s相同):%(name)s(客户编号 %(id)d),不能重复录入。")
                 % {"what": what, "name": first.name, "id": first.pk}]})
    error.duplicate_of = first  # pages link to /b/<code>/clients/<id>/
    return error


def client_create(*, actor, data: ClientInput) -> Client:
    """开户: the client, and (same transaction) the commission recompute markers of the opener's
    home branch — which may be another branch (跨区域支援). A second record of a company the
    branch already has is refused, naming the first (two openings would pay two rewards)."""
    from commissions.services import client_opened

    with transaction.atomic():
        _lock_client_keys()
        first = client_duplicate_of(name=data.name, credit_code=data.credit_code)
        if first is not None:
            raise duplicate_error(first, by_code=bool(data.credit_code) and first.credit_code == data.credit_code)
        client = Client(name=data.name, headcount=data.headcount, opened_on=data.opened_on,
                        opened_by=data.opened_by, services=data.services, contract_no=data.contract_no,
                        city=data.city, grade=data.grade, credit_code=data.credit_code,
                        name_key=keys.normalise_name(data.name), opening_source=data.opening_source)
        for service, fee in data.fees.items():
            setattr(client, FEE_FIELDS[service], fee)
        stamp(client, actor=actor, reason="开户" if data.opening_source == OpeningSource.MANUAL else "客户登记(开户取自首个申报月)")
        client.save()
        client_opened(client=client)
    return client


@dataclass(frozen=True)
class ClientChanges:
    """What may change after 开户. The opening date and the opener are the 开户 event itself
    (they decide who earns the opening reward and in which month, and sales copy the date), so
    they are never edited: a wrong one is corrected by closing the client and recording it again."""

    name: str
    headcount: int
    services: list[str]
    grade: str
    contract_no: str = ""
    city: str = ""
    fees: dict | None = None  # None: unchanged (a caller that does not send them)


def parse_client_changes(data: dict) -> ClientChanges:
    errors = inputs.Errors()
    name = inputs.parse_text(data, "name", errors, single_line=True)
    headcount = inputs.parse_int(data, "headcount", errors, low=1)
    services = inputs.parse_services(data, "services", errors)
    grade = _parse_grade(data, errors)
    contract_no = inputs.parse_text(data, "contract_no", errors, max_length=60, required=False)
    city = inputs.parse_text(data, "city", errors, max_length=30, required=False)
    fees = parse_service_fees(data, errors) if any(n in data for n in FEE_FIELDS.values()) else None
    errors.raise_if_any()
    return ClientChanges(name=name, headcount=headcount, services=services, grade=grade,
                         contract_no=contract_no, city=city, fees=fees)


def client_update(*, actor, client_id: int, data: ClientChanges) -> Client:
    """Edit a client's details (audited). A new headcount changes the opening reward's tier, so
    the opener's months are marked for recompute in the same transaction (a closed month gets
    its correction in the next open one, as for any late change)."""
    from commissions.services import client_opened

    with transaction.atomic():
        _lock_client_keys()
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise Http404
        first = client_duplicate_of(name=data.name, credit_code=client.credit_code, exclude_id=client.pk)
        if first is not None:
            raise duplicate_error(first, by_code=bool(client.credit_code) and first.credit_code == client.credit_code)
        if client.closed_on is not None:
            raise ValidationError({"__all__": [_("客户已于 %(d)s 终止,不能修改。") % {"d": format_date(client.closed_on)}]})
        if client.opening_source == OpeningSource.CYCLE:
            # The headcount is the first filed month's insured count (the tier's rule): not edited.
            data = dataclasses.replace(data, headcount=client.headcount)
        headcount_changed = client.headcount != data.headcount
        for name in ("name", "headcount", "services", "grade", "contract_no", "city"):
            setattr(client, name, getattr(data, name))
        for service, fee in (data.fees or {}).items():  # 服务费: billed from the next compute on
            setattr(client, FEE_FIELDS[service], fee)
        stamp(client, actor=actor, reason="客户资料修改")
        client.save()
        if headcount_changed:
            client_opened(client=client)
    return client


def parse_fees_update(data: dict) -> dict[str, Decimal]:
    """Only the fees sent are changed; at least one must be."""
    errors = inputs.Errors()
    sent = [n for n in FEE_FIELDS.values() if n in data]
    if not sent:
        errors.add("fee_social_insurance", _("请至少填写一项服务费(元/人·月)。"))
    fees = parse_service_fees(data, errors)
    errors.raise_if_any()
    return {service: fee for service, fee in fees.items() if FEE_FIELDS[service] in sent}


def client_fees_update(*, actor, client_id: int, fees: dict[str, Decimal]) -> Client:
    """The contracted 服务费 per insured person per month (audited). Months computed from now on
    bill it; a filed month keeps what it billed."""
    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise Http404
        for service, fee in fees.items():
            setattr(client, FEE_FIELDS[service], fee)
        stamp(client, actor=actor, reason="服务费修改")
        client.save()
    return client


def parse_client_close(data: dict) -> dt.date:
    errors = inputs.Errors()
    closed_on = inputs.parse_date(data, "closed_on", errors, not_after_today=True)
    errors.raise_if_any()
    return closed_on


def client_close(*, actor, client_id: int, closed_on: dt.date) -> Client:
    from commissions.services import client_closed

    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise Http404
        if client.closed_on is not None:
            raise ValidationError({"closed_on": [_("客户已于 %(d)s 终止。") % {"d": format_date(client.closed_on)}]})
        if closed_on < client.opened_on:
            raise ValidationError({"closed_on": [_("终止日期不能早于开户日期 %(d)s。") % {"d": format_date(client.opened_on)}]})
        client.closed_on = closed_on
        stamp(client, actor=actor, reason="客户终止")
        client.save()
        client_closed(client=client)
    return client
