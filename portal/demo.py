"""Demo activity for the specialists' portal, per branch: an opening-reward claim that passes the
automatic review, one that does not (a colleague opened that client), and a question (申诉) on a
line of the current month's statement. Runs after the commissions demo (it needs its clients and
statements). Idempotent: a branch that already has claims is left as it is."""
from __future__ import annotations

import base64

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

# A 1×1 PNG: the review reads the client record, not the picture, but a claim needs a photo.
_PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("客户资料.png", _PHOTO, content_type="image/png")


def seed(org) -> None:
    from clients.models import Client
    from commissions.engine import period_of

    from . import engine, selectors, services
    from .models import RewardClaim

    for code, branch in org.branches.items():
        specialists = org.people[code]["specialist"]
        with schema_context(branch.schema_name):
            if RewardClaim.objects.exists():
                continue
            # The first specialist (the one the README suggests logging in as) gets the approved
            # claim and the question when they opened a client; a colleague's claim is refused.
            ids = [s.pk for s in specialists]
            opened = Client.objects.filter(opened_by_id__in=ids).order_by("-opened_on", "pk")
            client = opened.filter(opened_by_id=ids[0]).first() or opened.first() if ids else None
            if client is None:
                continue
            opener = next(s for s in specialists if s.pk == client.opened_by_id)
            colleague = next((s for s in specialists if s.pk != opener.pk), None)
            version = selectors.opening_rule_on(client.opened_on)
            if version is None:
                continue
            tier = engine.tier_index_for(client.headcount, version.rule)
            for who in (opener, colleague):
                if who is None:
                    continue
                data = services.parse_claim({"client": str(client.pk), "tier": str(tier),
                                             "note": "演示:客户合同首页与营业执照"}, [_photo()])
                services.claim_submit(actor=who, branch=branch, data=data)
            period = period_of(timezone.localdate())
            statement = selectors.my_statement(opener, branch, period)
            line = next((ln for ln in statement["lines"] if ln.get("component") != "manual_adjustment"), None)
            if line is not None:
                services.inquiry_raise(actor=opener, branch=branch, period=period, key=selectors.line_key(line),
                                       comment="演示:这一行的客户人数与合同不一致,请核对。")
