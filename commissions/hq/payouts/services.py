"""Writes of payment data (public schema), audited through the model history with masked
numbers only."""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from branches.audit import stamp
from branches.models import User
from hrsaas.core import locks
from social_insurance.crypto import encrypt_identity, identity_hash

from ..models import PaymentProfile
from .engine import PaymentDataError, mask_account, mask_identity, parse_payment_details
from .selectors import access_earner, may_edit_payments, profile_of


def payment_profile_save(*, actor: User, user_id: int, data: dict) -> PaymentProfile:
    """Create or change an earner's payment data. HQ finance only; bad input raises one
    ValidationError with a message per field and writes nothing. An empty identity or account
    number on an edit keeps the stored one."""
    if not may_edit_payments(actor):
        raise PermissionDenied(_("仅总部财务可修改发放信息。"))
    person = access_earner(user_id)
    with transaction.atomic():
        profile = profile_of(person)
        if profile is not None:
            profile = PaymentProfile.objects.select_for_update().get(pk=profile.pk)
        try:
            details = parse_payment_details(data, existing=profile is not None)
        except PaymentDataError as exc:
            raise ValidationError(exc.errors) from None
        taken = PaymentProfile.objects.filter(employee_number=details.employee_number).exclude(user=person)
        if taken.exists():
            raise ValidationError({"employee_number": [_("工号 %(n)s 已被其他人员使用。") % {"n": details.employee_number}]})
        if details.id_number is not None:
            # One payee per ID number (a bank batch and a payroll import key people by it). Refused
            # as a 工号 is, naming no one: the number typed is all the message says back.
            # Checked under a lock per number, so two saves of the same number cannot both pass;
            # not a unique index, which existing duplicates would stop from being created.
            hashed = identity_hash(details.id_number)
            locks.take((locks.Lock.PAYMENT_IDENTITY, hashed))
            if PaymentProfile.objects.filter(id_number_hash=hashed).exclude(user=person).exists():
                raise ValidationError({"id_number": [_("身份证号 %(n)s 已被其他人员使用。") % {
                    "n": mask_identity(details.id_number)}]})
        created = profile is None
        profile = profile or PaymentProfile(user=person)
        profile.employee_number = details.employee_number
        profile.account_name, profile.bank_name, profile.bank_branch = (
            details.account_name, details.bank_name, details.bank_branch)
        if details.id_number is not None:
            profile.id_number_enc = encrypt_identity(details.id_number)
            profile.id_number_hash = identity_hash(details.id_number)
            profile.id_number_masked = mask_identity(details.id_number)
        if details.account_number is not None:
            profile.account_enc = encrypt_identity(details.account_number)
            profile.account_masked = mask_account(details.account_number)
        profile.updated_by = actor
        stamp(profile, actor=actor, reason="新增发放信息" if created else "修改发放信息")
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError:  # a concurrent save of the same 工号
            raise ValidationError({"employee_number": [_("工号 %(n)s 已被其他人员使用。") % {
                "n": details.employee_number}]}) from None
    return profile


def payout_file_recorded(*, actor: User, period: str, kind: str, rows) -> None:
    """Record that a payout file left the system: one row per branch in it (who, when, rows,
    total). A bank file freezes that branch-period's prepared batch (see PayoutBatch)."""
    from ..models import PayoutFileDownload

    per_branch: dict[int, tuple] = {}
    for r in rows:
        branch, n, total = per_branch.get(r.branch.pk, (r.branch, 0, Decimal(0)))
        per_branch[r.branch.pk] = (branch, n + 1, total + r.amount)
    PayoutFileDownload.objects.bulk_create([
        PayoutFileDownload(branch=b, period=period, kind=kind, rows=n, total=t, downloaded_by=actor)
        for b, n, t in per_branch.values()])
