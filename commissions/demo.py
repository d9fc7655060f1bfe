"""Demo activity for commissions: three months of openings, sales and leads per branch, one
cross-branch opening (跨区域支援), then a recompute. Idempotent: a branch that already has
demo clients is left as it is."""
from __future__ import annotations

import random
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from hrsaas.core.labels import label

from .engine import add_months, period_of

# Demo contracts are numbered as offices number theirs (HT-BJ-2026-0001); the prefix also marks
# a branch that already has its demo activity (idempotent seeding).
DEMO_TAG = "HT-"
# Lead names are shown on pages: the lead's source in Chinese.
LEAD_SOURCE_WORDS = {"marketing": "市场", "sales": "销售"}


SERVICES = ["social_insurance", "housing_fund", "payroll_outsourcing"]
COMPANIES = ["华信科技", "远航物流", "金石建材", "博雅教育", "康宁医药", "星河传媒", "恒泰制造", "蓝海餐饮",
             "同创软件", "益丰零售", "嘉禾农业", "启明咨询"]


def _abbr(code: str) -> str:
    """The branch as people abbreviate it on documents (BJ), never its key (beijing)."""
    return {"beijing": "BJ", "shanghai": "SH", "guangzhou": "GZ"}.get(code, code[:2].upper())


def _contract_no(code: str, year: int, n: int) -> str:
    return f"{DEMO_TAG}{_abbr(code)}-{year}-{n:04d}"


def seed(org) -> None:
    from clients import services as client_services
    from clients.models import Client

    from . import services

    today = timezone.localdate()
    months = [add_months(today.replace(day=1), -i) for i in (2, 1, 0)]
    for code, branch in org.branches.items():
        people = org.people[code]
        staff = people["branch_staff"][0]
        specialists = people["specialist"]
        rnd = random.Random(code)
        with schema_context(branch.schema_name):
            if Client.objects.filter(Q(contract_no__startswith=DEMO_TAG) | Q(contract_no__startswith="DEMO-")).exists():
                continue
            clients = []
            for m_index, month in enumerate(months):
                for i in range(4):
                    # The newest month starts with the first specialist (bj.s1, the README's example),
                    # so every demo login of a specialist has a place on this month's boards.
                    opener = specialists[((len(months) - 1 - m_index) * 4 + i) % len(specialists)]
                    day = month.replace(day=min(1 + rnd.randrange(27), today.day if month == months[-1] else 28))
                    clients.append(client_services.client_create(actor=staff, data=client_services.ClientInput(
                        name=f"{label('city', branch.city) or branch.name}{COMPANIES[(m_index * 4 + i) % len(COMPANIES)]}",
                        headcount=rnd.choice([18, 45, 50, 51, 80, 100, 101, 260]), opened_on=day, opened_by=opener,
                        services=rnd.sample(SERVICES, 2), contract_no=_contract_no(code, today.year, m_index * 4 + i + 1))))
            for client in clients:  # monthly billing from the opening month on
                for month in months:
                    if month < client.opened_on.replace(day=1):
                        continue
                    for service in client.services:
                        services.sale_create(actor=staff, data=services.SaleInput(
                            client_id=client.pk, service=service, period=period_of(month),
                            amount=Decimal(rnd.randrange(20_000, 400_000)) + Decimal("0.50"),
                            seller=specialists[client.pk % len(specialists)]))
            marketer, seller = people["marketing"][0], people["sales"][0]
            for i, month in enumerate(months):
                for source in ("marketing", "sales"):
                    lead = services.lead_create(actor=staff, data=services.LeadInput(
                        name=f"{LEAD_SOURCE_WORDS[source]}线索{i + 1}", source=source, marketer=marketer if source == "marketing" else None,
                        created_on=month, qualified=True))
                    signed = services.lead_sign(actor=staff, lead_id=lead.pk, data=services.LeadSignInput(
                        amount=Decimal(rnd.randrange(50_000, 300_000)), signed_on=month.replace(day=10)
                        if month < months[-1] or today.day >= 10 else today, seller=seller))
                    _as_it_happened(signed)
            _demo_leads_in_progress(marketer=marketer, seller=seller)
            if code == "beijing":  # a float proposed this month, waiting for the manager (the what-if preview)
                from . import adjustments

                adjustments.adjustment_propose(actor=staff, data=adjustments.parse_adjustment({
                    "component": "opening_reward", "percent": "10.00",
                    "effective_from": today.replace(day=1).isoformat(),
                    "reason": "北京市场竞争加剧,开户奖励上浮 10%"}))
            if code == "beijing" and "shanghai" in org.people:  # a Shanghai specialist helps Beijing
                client_services.client_create(actor=staff, data=client_services.ClientInput(
                    name="北京跨区支援客户", headcount=75, opened_on=months[-1], opened_by=org.people["shanghai"]["specialist"][0],
                    services=["social_insurance"], contract_no=_contract_no(code, today.year, 99)))
    for branch in org.branches.values():
        with schema_context(branch.schema_name):
            services.recompute_drain()
    connection.set_schema_to_public()


def _on(day, hour: int, minute: int = 0):
    """That day at that (Asia/Shanghai) time, never later than now: a demo lead of today."""
    import datetime as dt

    return min(timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute))), timezone.now())


def _as_it_happened(lead) -> None:
    """A demo lead's stage history on the days its dates say, not at the moment the demo was
    loaded: 录入 on the lead's date, 合同归档 on the signing day. The services stamp a step
    with the time it is recorded, which for a demo lead dated months back put 录入 after
    steps entered for earlier days (and the history's order by time showed 录入 last)."""
    from .models import Lead, LeadStageChange

    LeadStageChange.objects.filter(lead=lead, stage=Lead.Stage.ENTERED).update(at=_on(lead.created_on, 9, 30))
    if lead.signed_on is not None:
        signed_at = _on(lead.signed_on, 16)
        LeadStageChange.objects.filter(lead=lead, stage=Lead.Stage.ARCHIVED).update(at=signed_at)
        Lead.objects.filter(pk=lead.pk, stage=Lead.Stage.ARCHIVED).update(stage_since=signed_at)


def _demo_leads_in_progress(*, marketer, seller) -> None:
    """Leads still being worked, entered by marketing and sales themselves: one the marketer
    brought in that has waited 9 days for the seller's 接待 (the stuck-lead alert names the
    seller), one self-sourced lead at 签约意向, and a fresh one."""
    import datetime as dt

    from branches.roles import Role

    from . import lead_services, services
    from .models import Lead, LeadStageChange

    today = timezone.localdate()
    waiting = services.lead_create(actor=marketer, data=services.LeadInput(
        name="华信科技有限公司(展会线索)", source="marketing", marketer=marketer, created_on=today - dt.timedelta(days=12),
        qualified=True, owner=seller))
    _as_it_happened(waiting)  # 录入 12 days ago, then 到访 9 days ago
    lead_services.lead_stage_move(actor=marketer, roles={Role.MARKETING}, lead_id=waiting.pk, to=Lead.Stage.VISITED)
    long_ago = timezone.now() - dt.timedelta(days=9)
    Lead.objects.filter(pk=waiting.pk).update(stage_since=long_ago)
    LeadStageChange.objects.filter(lead=waiting, stage=Lead.Stage.VISITED).update(at=long_ago)
    own = services.lead_create(actor=seller, data=services.LeadInput(
        name="远航物流(老客户转介绍)", source="sales", marketer=None, created_on=today, qualified=True, owner=seller))
    for stage in (Lead.Stage.VISITED, Lead.Stage.RECEIVED, Lead.Stage.INTENT):
        lead_services.lead_stage_move(actor=seller, roles={Role.SALES}, lead_id=own.pk, to=stage)
    services.lead_create(actor=marketer, data=services.LeadInput(
        name="博雅教育(官网咨询)", source="marketing", marketer=marketer, created_on=today, qualified=True))
    lead_services.stuck_leads_alert()  # what the hourly beat task would send
