"""Writes for client companies (客户). Opening a client is the 开户 event of commissions."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from branches.audit import stamp
from branches.models import User
from commissions import inputs

from .models import Client, Grade


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
    name = inputs.parse_text(data, "name", errors)
    headcount = inputs.parse_int(data, "headcount", errors, low=1)
    opened_on = inputs.parse_date(data, "opened_on", errors)
    opened_by = inputs.parse_earner(data, "opened_by", errors)
    services = inputs.parse_services(data, "services", errors)
    contract_no = inputs.parse_text(data, "contract_no", errors, max_length=60, required=False)
    city = inputs.parse_text(data, "city", errors, max_length=30, required=False)
    grade = _parse_grade(data, errors)
    errors.raise_if_any()
    return ClientInput(name=name, headcount=headcount, opened_on=opened_on, opened_by=opened_by,
                       services=services, contract_no=contract_no, city=city, grade=grade)


def client_create(*, actor, data: ClientInput) -> Client:
    """开户: the client, and (same transaction) the commission recompute markers of the opener's
    home branch — which may be another branch (跨区域支援)."""
    from commissions.services import client_opened

    with transaction.atomic():
        client = Client(name=data.name, headcount=data.headcount, opened_on=data.opened_on,
                        opened_by=data.opened_by, services=data.services, contract_no=data.contract_no,
                        city=data.city, grade=data.grade)
        stamp(client, actor=actor, reason="开户")
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


def parse_client_changes(data: dict) -> ClientChanges:
    errors = inputs.Errors()
    name = inputs.parse_text(data, "name", errors)
    headcount = inputs.parse_int(data, "headcount", errors, low=1)
    services = inputs.parse_services(data, "services", errors)
    grade = _parse_grade(data, errors)
    contract_no = inputs.parse_text(data, "contract_no", errors, max_length=60, required=False)
    city = inputs.parse_text(data, "city", errors, max_length=30, required=False)
    errors.raise_if_any()
    return ClientChanges(name=name, headcount=headcount, services=services, grade=grade,
                         contract_no=contract_no, city=city)


def client_update(*, actor, client_id: int, data: ClientChanges) -> Client:
    """Edit a client's details (audited). A new headcount changes the opening reward's tier, so
    the opener's months are marked for recompute in the same transaction (a closed month gets
    its correction in the next open one, as for any late change)."""
    from commissions.services import client_opened

    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise Http404
        if client.closed_on is not None:
            raise ValidationError({"__all__": [_("客户已于 %(d)s 终止,不能修改。") % {"d": client.closed_on}]})
        headcount_changed = client.headcount != data.headcount
        for name in ("name", "headcount", "services", "grade", "contract_no", "city"):
            setattr(client, name, getattr(data, name))
        stamp(client, actor=actor, reason="客户资料修改")
        client.save()
        if headcount_changed:
            client_opened(client=client)
    return client


def parse_client_close(data: dict) -> dt.date:
    errors = inputs.Errors()
    closed_on = inputs.parse_date(data, "closed_on", errors)
    errors.raise_if_any()
    return closed_on


def client_close(*, actor, client_id: int, closed_on: dt.date) -> Client:
    from commissions.services import client_closed

    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise Http404
        if client.closed_on is not None:
            raise ValidationError({"closed_on": [_("客户已于 %(d)s 终止。") % {"d": client.closed_on}]})
        if closed_on < client.opened_on:
            raise ValidationError({"closed_on": [_("终止日期不能早于开户日期 %(d)s。") % {"d": client.opened_on}]})
        client.closed_on = closed_on
        stamp(client, actor=actor, reason="客户终止")
        client.save()
        client_closed(client=client)
    return client
