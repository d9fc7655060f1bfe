"""Reads of leads, scoped to who is asking: the office sees every lead of the branch; a marketer
the leads they brought; a seller the leads they follow up or closed. Outside that, a lead is
missing (the same 404 whether or not it exists)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.http import Http404

from branches.models import User
from branches.roles import Role
from clients.models import Service

from .engine import HUNDRED, lead_conversion_reaches, period_end, period_of
from .hq.rules import version_in_force
from .lead_services import is_office, name_of, next_stage, responsible_label
from .models import Lead, LeadDispute, LeadPolicy, LeadStageChange


def leads_visible_to(actor, roles):
    qs = Lead.objects.all()
    if is_office(roles):
        return qs
    mine = Q(pk__in=[])
    if Role.MARKETING in roles:
        mine |= Q(marketer_id=actor.pk)
    if Role.SALES in roles:
        mine |= Q(owner_id=actor.pk) | Q(seller_id=actor.pk)
    return qs.filter(mine)


def access_lead(actor, roles, lead_id: int, *, for_update: bool = False) -> Lead:
    qs = leads_visible_to(actor, roles)
    if for_update:
        qs = qs.select_for_update()
    lead = qs.filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


def _names(ids) -> dict[int, str]:
    return {pk: (d or u) for pk, u, d in User.objects.filter(pk__in={i for i in ids if i})
            .values_list("pk", "username", "display_name")}


def lead_rows(leads) -> list[dict]:
    """Leads as the API and the pages show them (usernames for the API, names for people)."""
    leads = list(leads)
    ids = {x for ld in leads for x in (ld.marketer_id, ld.seller_id, ld.owner_id)}
    names = _names(ids)
    usernames = dict(User.objects.filter(pk__in={i for i in ids if i}).values_list("pk", "username"))
    service_names = dict(Service.choices)
    rows = []
    for ld in leads:
        after = next_stage(ld.stage)
        rows.append({
            "id": ld.id, "name": ld.name, "source": ld.source, "source_label": ld.get_source_display(),
            "marketer": usernames.get(ld.marketer_id), "marketer_name": names.get(ld.marketer_id, ""),
            "owner": usernames.get(ld.owner_id), "owner_name": names.get(ld.owner_id, ""),
            "qualified": ld.qualified, "created_on": ld.created_on.isoformat(),
            "status": "signed" if ld.signed_on else "open",
            "amount": f"{ld.amount:.2f}" if ld.amount is not None else None,
            "signed_on": ld.signed_on.isoformat() if ld.signed_on else None,
            "seller": usernames.get(ld.seller_id), "seller_name": names.get(ld.seller_id, ""),
            "stage": ld.stage, "stage_label": ld.get_stage_display(), "stage_since": ld.stage_since.isoformat(),
            "next_stage": after, "next_stage_label": Lead.Stage(after).label if after else None,
            "turn_of": responsible_label(ld) if after else None,
            "contact": ld.contact, "phone": ld.phone,
            "channel": ld.channel or None, "channel_label": ld.get_channel_display() if ld.channel else None,
            "services": list(ld.services), "service_labels": [str(service_names.get(s, s)) for s in ld.services],
            "notes": ld.notes,
            "_obj": ld,
        })
    return rows


def lead_detail(actor, roles, lead_id: int) -> dict:
    lead = access_lead(actor, roles, lead_id)
    row = lead_rows([lead])[0]
    changes = list(LeadStageChange.objects.filter(lead=lead).order_by("at", "id"))  # the history reads in time order
    names = _names(c.by_id for c in changes)
    row["stages"] = [{"stage": c.stage, "stage_label": c.get_stage_display(), "at": c.at.isoformat(),
                      "by": names.get(c.by_id, ""), "note": c.note, "when": c.at} for c in changes]
    disputes = list(LeadDispute.objects.filter(lead=lead))
    dnames = _names(x for d in disputes for x in (d.raised_by_id, d.decided_by_id))
    row["disputes"] = [{"id": d.id, "claimant": dnames.get(d.raised_by_id, ""), "reason": d.reason,
                        "status": d.status, "status_label": d.get_status_display(),
                        "decided_by": dnames.get(d.decided_by_id, ""), "decision_note": d.decision_note,
                        "raised_at": d.raised_at.isoformat()} for d in disputes]
    return row


def public(row: dict) -> dict:
    """A row without the page-only keys (the API's body)."""
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    for key in ("stages",):
        if key in out:
            out[key] = [{k: v for k, v in s.items() if k != "when"} for s in out[key]]
    return out


def marketing_figures(marketer_id: int, period: str) -> dict:
    """A marketer's month as the points scheme (积分方案, SPEC §2) sees it: qualified marketing
    leads created in the month, how many were signed by the month's end, the conversion rate,
    the threshold below which the points are not paid, and the points earned."""
    from .services import rulebook_load

    end = period_end(period)
    start = end.replace(day=1)
    mine = Lead.objects.filter(source=Lead.Source.MARKETING, marketer_id=marketer_id,
                               created_on__gte=start, created_on__lte=end)
    total = mine.count()
    qualified = mine.filter(qualified=True).count()
    converted = mine.filter(qualified=True, signed_on__isnull=False, signed_on__lte=end).count()
    rate = (Decimal(converted) * HUNDRED / qualified).quantize(Decimal("0.01")) if qualified else None
    rules = rulebook_load()
    v = version_in_force(list(rules.versions), "lead_attribution", end)
    pts = v.rule.points if v is not None else None
    figures = {"period": period, "leads": total, "qualified": qualified, "converted": converted,
               "conversion_percent": f"{rate:.2f}" if rate is not None else None,
               "points_scheme": pts is not None and pts.points_per_qualified_lead > 0,
               "threshold_percent": None, "points": "0", "points_yuan": "0.00", "reaches_threshold": None,
               "marketing_percent": f"{v.rule.marketing_percent:.2f}" if v is not None else None}
    if figures["points_scheme"]:
        reaches = lead_conversion_reaches(converted=converted, qualified=qualified,
                                          min_percent=pts.min_conversion_percent)
        points = qualified * pts.points_per_qualified_lead
        figures.update(threshold_percent=f"{pts.min_conversion_percent:.2f}", reaches_threshold=reaches,
                       points=f"{points.normalize():f}" if reaches else "0",
                       points_yuan=f"{(points * pts.yuan_per_point):.2f}" if reaches else "0.00",
                       points_possible=f"{points.normalize():f}")
    return figures


def sales_figures(seller_id: int, period: str) -> dict:
    """A seller's month: the leads they signed in it (count and amount) and the unsigned leads
    they follow up (跟进), i.e. their own work before anyone's board."""
    from django.db.models import Sum

    end = period_end(period)
    signed = Lead.objects.filter(seller_id=seller_id, signed_on__gte=end.replace(day=1), signed_on__lte=end)
    return {"period": period, "signed": signed.count(),
            "signed_amount": signed.aggregate(t=Sum("amount"))["t"] or Decimal("0.00"),
            "following": Lead.objects.filter(owner_id=seller_id, signed_on__isnull=True).count()}


def this_period() -> str:
    from django.utils import timezone

    return period_of(timezone.localdate())


def stage_limit_days() -> int:
    return LeadPolicy.current().stage_limit_days


def stuck_since(lead: Lead, *, limit_days: int, now: dt.datetime) -> int | None:
    """Days in the stage when over the limit, else None (pages flag such a lead)."""
    if lead.stage == Lead.Stage.SETTLED:
        return None
    days = (now - lead.stage_since).days
    return days if lead.stage_since < now - dt.timedelta(days=limit_days) else None
