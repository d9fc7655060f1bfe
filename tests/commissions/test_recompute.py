"""The bulk SQL recompute equals the Python engine, line by line, on random data; what-if."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commissions import engine, selectors, services
from tests.conftest import in_branch

from .conftest import drain, open_client, register_adjustment

pytestmark = pytest.mark.django_db
D = Decimal


class _Rollback(Exception):
    pass


days = st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2026, 6, 30))
money = st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2)


def _event_strategies(dates, sale_months: int):
    """(clients, sales, leads) tuples as `_populate` reads them, on `dates`."""
    # Clients: (branch, opener, headcount, opened on, closed after days, opening source, months after
    # the opening with insured people on a fee statement — the cycle's retention test).
    clients = st.tuples(st.sampled_from(["bj", "sh"]), st.integers(0, 4), st.integers(1, 300), dates,
                        st.one_of(st.none(), st.integers(0, 500)), st.sampled_from(["manual", "cycle", "awaiting"]),
                        st.lists(st.integers(0, 24), max_size=3))
    # Sales: (client, service, month offset, amount, seller, source, statement confirmed, paid).
    sales = st.tuples(st.integers(0, 30), st.sampled_from(["social_insurance", "housing_fund", "payroll_outsourcing"]),
                      st.integers(0, sale_months), money, st.integers(0, 4), st.sampled_from(["manual", "cycle"]),
                      st.booleans(), st.booleans())
    leads = st.tuples(st.sampled_from(["bj", "sh"]), st.sampled_from(["marketing", "sales"]), st.integers(0, 4),
                      st.integers(0, 4), st.one_of(st.none(), money), dates)
    return clients, sales, leads


client_st, sale_st, lead_st = _event_strategies(days, 6)
# Rule versions from the cycle settings (issue #20): (effective from, sales earned on, clawback months).
cycle_rules_st = st.lists(st.tuples(st.sampled_from([dt.date(2024, 9, 1), dt.date(2025, 3, 1), dt.date(2025, 12, 1)]),
                                    st.sampled_from(["confirmed", "payment"]), st.integers(0, 8)),
                          max_size=2, unique_by=lambda r: r[0])
adj_st = st.lists(st.tuples(st.sampled_from(["bj", "sh"]),
                            st.sampled_from(["opening_reward", "retention_bonus", "sales_commission", "lead_attribution"]),
                            st.decimals(min_value=-20, max_value=20, places=2), days,
                            st.one_of(st.none(), st.integers(0, 90))), max_size=4)
PERIODS = ["2025-06", "2026-01", "2026-03"]


def _cycle_rules(versions) -> None:
    """New sales and opening-reward versions with the cycle settings (in the test's transaction)."""
    from commissions.hq.models import RuleVersion
    from commissions.hq.rules import DEFAULT_RULES

    for start, earn_on, clawback in versions:
        RuleVersion.objects.create(component="sales_commission", effective_from=start,
                                   params={**DEFAULT_RULES["sales_commission"], "earn_on": earn_on})
        RuleVersion.objects.create(component="opening_reward", effective_from=start,
                                   params={**DEFAULT_RULES["opening_reward"], "clawback_months": clawback})


def _populate(people, clients, sales, leads):
    from clients.models import Client
    from commissions.models import Lead, Sale

    earners = [people[k] for k in ("bj_s1", "bj_s2", "bj_mkt", "sh_s1", "bj_sales")]
    made = []
    from social_insurance.models import FeeStatement

    for code, who, headcount, opened_on, closed_after, source, insured in clients:
        with in_branch(code):
            c = Client.objects.create(name="c", headcount=headcount, opened_on=opened_on, opened_by=earners[who],
                                      closed_on=opened_on + dt.timedelta(days=closed_after) if closed_after is not None else None,
                                      opening_source=source)
            for offset in set(insured):
                FeeStatement.objects.create(period=engine.period_of(engine.add_months(opened_on.replace(day=1), offset)),
                                            client=c, employee_count=1 + offset % 3, employer_total=0,
                                            employee_total=0, total=0)
            made.append((code, c))
    seen = set()
    for idx, service, month_offset, amount, who, source, confirmed, paid in sales:
        if not made:
            break
        code, c = made[idx % len(made)]
        period = engine.period_of(engine.add_months(c.opened_on.replace(day=1), month_offset))
        if (code, c.pk, service, period) in seen:
            continue
        seen.add((code, c.pk, service, period))
        with in_branch(code):
            Sale.objects.create(client=c, client_opened_on=c.opened_on, service=service, period=period, amount=amount,
                                seller=earners[who], source=source, statement_confirmed=confirmed, statement_paid=paid)
    for code, source, mkt, seller, amount, day in leads:
        with in_branch(code):
            signed = amount is not None
            Lead.objects.create(name="l", source=source, marketer=earners[mkt] if source == "marketing" else None,
                                created_on=day, seller=earners[seller] if signed else None, amount=amount,
                                signed_on=day + dt.timedelta(days=3) if signed else None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(client_st, max_size=8), st.lists(sale_st, max_size=10), st.lists(lead_st, max_size=5), adj_st,
       st.booleans(), cycle_rules_st)
def test_sql_recompute_equals_python_engine(people, clients, sales, leads, adjustments, no_shrink, cycle_rules):
    from commissions.hq.models import HQSetting

    try:
        with transaction.atomic():
            HQSetting.objects.update_or_create(pk=1, defaults={"cross_branch_no_shrink": no_shrink})
            _cycle_rules(cycle_rules)
            for code, component, percent, start, length in adjustments:
                register_adjustment(code, component, str(percent), start.isoformat(),
                                    (start + dt.timedelta(days=length)).isoformat() if length is not None else None)
            _populate(people, clients, sales, leads)
            rules = services.rulebook_load()
            with in_branch("bj"):
                openings, sale_events, lead_events, homes = selectors.engine_events()
            for code in ("bj", "sh"):
                with in_branch(code):
                    home = services.current_branch().id
                    for period in PERIODS:
                        expected = engine.compute_period(period=period, home_branch_id=home, earner_home=homes,
                                                         openings=openings, sales=sale_events, leads=lead_events,
                                                         rules=rules)
                        got = selectors.sql_lines(period=period)
                        key = lambda ln: (ln.earner_id, ln.source, ln.component)  # noqa: E731
                        assert sorted(got, key=key) == sorted(expected, key=key)
            raise _Rollback
    except _Rollback:
        pass


def test_recompute_is_idempotent_and_markers_drained(api, people):
    from commissions.models import RecomputeMarker, StatementLine

    for i in range(3):
        open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=40 + i * 30, name=f"c{i}")
    with in_branch("bj"):
        assert RecomputeMarker.objects.count() == 3
        services.recompute_drain()
        assert RecomputeMarker.objects.count() == 0
        first = sorted(StatementLine.objects.values_list("period", "earner_id", "source", "component", "amount"))
        services.recompute_period(period="2026-03")
        services.recompute_open_periods()
        again = sorted(StatementLine.objects.values_list("period", "earner_id", "source", "component", "amount"))
    assert first == again
    assert sorted((p, c, a) for p, _, _, c, a in first) == [
        ("2026-03", "opening_reward", D("800.00")), ("2026-03", "opening_reward", D("1200.00")),
        ("2026-03", "opening_reward", D("1200.00"))]  # headcount 100: upper bound of 51–100


def test_rollup_upserted_for_hq(api, people, hq_admin):
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=60)
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=60, name="b")
    from .conftest import drain

    drain("bj"), drain("sh"), drain("bj")
    r = api(people["bj_s1"]).get("/api/v1/leaderboards/?period=2026-03&metric=openings")
    assert r.status_code == 200
    assert r.json()["rows"] == [{"rank": 1, "username": "sh_s1", "value": 2, "gap_to_previous": None},
                                {"rank": 2, "username": "bj_s1", "value": 1, "gap_to_previous": 1}]
    r = api(hq_admin).get("/api/v1/leaderboards/?period=2026-03&metric=commission")
    assert [(x["username"], x["value"]) for x in r.json()["rows"]] == [("sh_s1", "2400.00"), ("bj_s1", "800.00")]


def test_company_board_by_iso_week_sums_every_branch(api, people, hq_admin):
    # ISO week 10 of 2026 is 2 – 8 March; week 11 starts on the 9th
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on="2026-03-02", name="a")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=30, opened_on="2026-03-03", name="b")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=30, opened_on="2026-03-09", name="c")
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=60, opened_on="2026-03-04", name="d")
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=60, opened_on="2026-03-08", name="e")
    # cross-branch support: Shanghai's specialist opens for Beijing, in the same week
    open_client(api, people["bj_staff"], opened_by="sh_s1", headcount=30, opened_on="2026-03-05", name="f")
    from .conftest import drain

    drain("bj"), drain("sh")
    week = api(people["bj_s1"]).get("/api/v1/leaderboards/?period=2026-W10&metric=openings")
    assert week.status_code == 200, week.content
    assert week.json()["period"] == "2026-W10" and week.json()["rows"] == [
        {"rank": 1, "username": "sh_s1", "value": 3, "gap_to_previous": None},
        {"rank": 2, "username": "bj_s1", "value": 1, "gap_to_previous": 2},
        {"rank": 2, "username": "bj_s2", "value": 1, "gap_to_previous": 2}]
    money = api(hq_admin).get("/api/v1/leaderboards/?period=2026-W10&metric=commission").json()["rows"]
    assert [(x["username"], x["value"]) for x in money] == [
        ("sh_s1", "3200.00"), ("bj_s1", "800.00"), ("bj_s2", "800.00")]
    assert api(people["bj_s1"]).get("/api/v1/leaderboards/?period=2026-W10&metric=commission").status_code == 403
    for bad, words in (("2026-W99", "ISO 周"), ("2026-W5", "ISO 周"), ("2025-W53", "该年须有这一周"),
                       ("1999-12", "期间须在"), ("2026-13", "期间格式")):
        r = api(people["bj_s1"]).get(f"/api/v1/leaderboards/?period={bad}&metric=openings")
        assert r.status_code == 400 and words in r.json()["period"][0], (bad, r.json())


def test_what_if_adjustment(api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on="2026-03-10")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=60, opened_on="2026-04-10", name="乙公司")
    register_adjustment("bj", "opening_reward", "10.00", "2026-01-01")
    drain("bj")  # "current" is what the statements say
    from commissions.models import StatementLine

    with in_branch("bj"):
        before = StatementLine.objects.count()
        rows = selectors.what_if_adjustment(component="opening_reward", percent=D("15.00"),
                                            effective_from=dt.date(2026, 4, 1), effective_to=None,
                                            periods=["2026-03", "2026-04"])
        assert StatementLine.objects.count() == before
    assert [(r["period"], r["username"], r["current_total"], r["what_if_total"], r["difference"]) for r in rows] == [
        ("2026-03", "bj_s1", D("880.00"), D("880.00"), D("0.00")),
        ("2026-04", "bj_s2", D("1320.00"), D("1440.00"), D("120.00")),  # 10 + 15 capped at 20
    ]


def test_points_scheme_sql_equals_engine(people):
    from commissions.hq.models import RuleVersion
    from commissions.hq.rules import DEFAULT_RULES

    RuleVersion.objects.create(component="lead_attribution", effective_from="2026-02-01", params=dict(
        DEFAULT_RULES["lead_attribution"], points={"points_per_qualified_lead": "10.00", "conversion_bonus_percent": "1.00",
                                                   "min_conversion_percent": "50.00", "yuan_per_point": "2.00"}))
    amount = D("1000.00")
    leads = [("bj", "marketing", 2, 4, amount, dt.date(2026, 3, 1)), ("bj", "marketing", 2, 4, None, dt.date(2026, 3, 2)),
             ("bj", "marketing", 0, 4, None, dt.date(2026, 3, 2)), ("sh", "marketing", 2, 4, amount, dt.date(2026, 3, 5))]
    _populate(people, [], [], leads)
    rules = services.rulebook_load()
    with in_branch("bj"):
        openings, sales, lead_events, homes = selectors.engine_events()
        got = selectors.sql_lines(period="2026-03")
        expected = engine.compute_period(period="2026-03", home_branch_id=services.current_branch().id,
                                         earner_home=homes, leads=lead_events, rules=rules)
    key = lambda ln: (ln.earner_id, ln.source, ln.component)  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
    mkt = people["bj_mkt"].pk
    assert sorted((ln.source.split(":")[0], ln.component, ln.amount) for ln in got if ln.earner_id == mkt) == [
        ("bj", "lead_conversion", D("10.00")), ("bj", "lead_marketing", D("40.00")),
        ("bj", "lead_points", D("40.00")),  # 2 qualified × 10 points × 2 yuan; 1 of 2 converted = 50%
        ("sh", "lead_conversion", D("10.00")), ("sh", "lead_marketing", D("40.00")),
        ("sh", "lead_points", D("20.00"))]  # cross-branch: sh's lead worked by bj's marketer


_VALUES = ("source_branch_id", "event_date", "rule_version_id", "base", "rate", "adjustment_percent", "amount",
           "home_rules_applied")


def _stored(period):
    """{(earner, source, component): (id, xmin, values)} of the period's regular lines."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT earner_id, source, component, id, xmin::text, {', '.join(_VALUES)} "
                    "FROM commissions_statementline WHERE period = %s AND corrects IS NULL", [period])
        return {r[:3]: (r[3], r[4], r[5:]) for r in cur.fetchall()}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(client_st, max_size=6), st.lists(sale_st, max_size=8), st.lists(lead_st, max_size=4),
       st.lists(client_st, max_size=4), st.lists(sale_st, max_size=6), st.lists(lead_st, max_size=3), adj_st,
       st.integers(0, 3), cycle_rules_st)
def test_recompute_over_stored_lines_writes_only_the_differences(people, clients, sales, leads, more_clients,
                                                                   more_sales, more_leads, adjustments, drop,
                                                                   cycle_rules):
    """Lines are computed, then events are added and removed and adjustments registered, and the
    periods recomputed: the stored lines are exactly what the rules now want; a line whose values
    did not change is not rewritten (same id, same row version), a changed one is updated in place
    (same id, new version), a line no longer wanted is gone."""
    from commissions.models import Lead, Sale

    try:
        with transaction.atomic():
            _populate(people, clients, sales, leads)
            before = {}
            for code in ("bj", "sh"):
                with in_branch(code):
                    for period in PERIODS:
                        services.recompute_period(period=period)
                        before[code, period] = _stored(period)
            for code, component, percent, start, length in adjustments:
                register_adjustment(code, component, str(percent), start.isoformat(),
                                    (start + dt.timedelta(days=length)).isoformat() if length is not None else None)
            _cycle_rules(cycle_rules)
            _populate(people, more_clients, more_sales, more_leads)
            for code in ("bj", "sh"):  # events withdrawn (every `drop`-th sale and lead, if any)
                with in_branch(code):
                    if drop:
                        Sale.objects.filter(pk__in=list(Sale.objects.order_by("pk").values_list("pk", flat=True))[::drop + 1]).delete()
                        Lead.objects.filter(pk__in=list(Lead.objects.order_by("pk").values_list("pk", flat=True))[::drop + 1]).delete()
            for code in ("bj", "sh"):
                with in_branch(code):
                    for period in PERIODS:
                        result = services.recompute_period(period=period)
                        after = _stored(period)
                        wanted = {(ln.earner_id, ln.source, ln.component): tuple(getattr(ln, c) for c in _VALUES)
                                  for ln in selectors.sql_lines(period=period)}
                        assert {k: v[2] for k, v in after.items()} == wanted
                        assert result.lines == len(wanted)
                        for key, (line_id, version, values) in after.items():
                            old = before[code, period].get(key)
                            if old is None:
                                continue
                            assert line_id == old[0]  # kept or updated in place, never re-inserted
                            assert (version == old[1]) == (values == old[2])
            raise _Rollback
    except _Rollback:
        pass


def test_lines_diff_sql_refuses_bad_names():
    from commissions.sql import lines_diff_sql

    with pytest.raises(ValueError):
        lines_diff_sql(lines_table="lines; DROP TABLE x", period="2026-03", select="SELECT 1")
    with pytest.raises(ValueError):
        lines_diff_sql(lines_table="commissions_statementline", period="2026-3'", select="SELECT 1")


# ---------------------------------------------------------------------------------------------
# Issue #25: one event, one person — the drain recomputes only the earners an event touches.
# ---------------------------------------------------------------------------------------------
near_days = st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2026, 3, 31))
# Every period they can reach up to this month (a future anniversary is computed when it comes):
# events up to 2026-03, retention a year on, a clawback in the month a client leaves.
WINDOW = ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 13)]
near_client_st, near_sale_st, near_lead_st = _event_strategies(near_days, 2)
opening_st = st.tuples(st.just("open"), st.sampled_from(["bj", "sh"]), st.integers(0, 4), st.integers(1, 300), near_days)
event_st = st.one_of(
    opening_st,
    st.tuples(st.just("sale"), st.integers(0, 30), st.sampled_from(["social_insurance", "housing_fund"]),
              st.integers(0, 2), money, st.integers(0, 4)),
    st.tuples(st.just("lead"), st.sampled_from(["bj", "sh"]), st.sampled_from(["marketing", "sales"]),
              st.integers(0, 4), near_days, st.booleans()),
    st.tuples(st.just("sign"), st.integers(0, 30), money, st.integers(0, 4), st.integers(0, 20)),
    st.tuples(st.just("close"), st.integers(0, 30), st.integers(0, 400)),
    st.tuples(st.just("headcount"), st.integers(0, 30), st.integers(1, 300)),
)


def _record(people, events) -> int:
    """Record `events` through the services (each writes its markers naming the earners it
    touches, in their home branches); refused ones (a rule of the product) are skipped. Returns
    how many were recorded."""
    from django.core.exceptions import ValidationError

    from clients import services as clients
    from clients.models import Client
    from commissions.models import Lead

    earners = [people[k] for k in ("bj_s1", "bj_s2", "bj_mkt", "sh_s1", "bj_sales")]
    staff = {"bj": people["bj_staff"], "sh": people["sh_staff"]}

    def pick(model, idx):
        rows = []
        for code in ("bj", "sh"):
            with in_branch(code):
                rows += [(code, pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)]
        return rows[idx % len(rows)] if rows else (None, None)

    recorded = 0
    for event in events:
        kind = event[0]
        try:
            with transaction.atomic():
                if kind == "open":
                    _k, code, who, headcount, day = event
                    with in_branch(code):
                        clients.client_create(actor=staff[code], data=clients.ClientInput(
                            name=f"c{recorded}-{who}-{day}", headcount=headcount, opened_on=day,
                            opened_by=earners[who], services=["social_insurance"]))
                elif kind == "lead":
                    _k, code, source, who, day, qualified = event
                    with in_branch(code):
                        services.lead_create(actor=staff[code], data=services.LeadInput(
                            name="l", source=source, marketer=earners[who] if source == "marketing" else None,
                            created_on=day, qualified=qualified))
                else:
                    model = Lead if kind == "sign" else Client
                    code, pk = pick(model, event[1])
                    if code is None:
                        continue
                    with in_branch(code):
                        if kind == "sale":
                            _k, _i, service, offset, amount, who = event
                            c = Client.objects.get(pk=pk)
                            services.sale_create(actor=staff[code], data=services.SaleInput(
                                client_id=pk, service=service, amount=amount, seller=earners[who], add_service=True,
                                period=engine.period_of(engine.add_months(c.opened_on.replace(day=1), offset))))
                        elif kind == "sign":
                            _k, _i, amount, who, after = event
                            lead = Lead.objects.get(pk=pk)
                            services.lead_sign(actor=staff[code], lead_id=pk, data=services.LeadSignInput(
                                amount=amount, signed_on=lead.created_on + dt.timedelta(days=after), seller=earners[who]))
                        elif kind == "close":
                            c = Client.objects.get(pk=pk)
                            clients.client_close(actor=staff[code], client_id=pk,
                                                 closed_on=c.opened_on + dt.timedelta(days=event[2]))
                        else:
                            c = Client.objects.get(pk=pk)
                            clients.client_update(actor=staff[code], client_id=pk, data=clients.ClientChanges(
                                name=c.name, headcount=event[2], services=c.services, grade=c.grade))
            recorded += 1
        except ValidationError:
            continue
    return recorded


def _rollup(period):
    from commissions.hq.models import EarnerMonthRollup

    branch = services.current_branch()
    return sorted(EarnerMonthRollup.objects.filter(branch=branch, period=period)
                  .values_list("user_id", "openings", "sales_amount", "commission"))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(near_client_st, max_size=5), st.lists(near_sale_st, max_size=6), st.lists(near_lead_st, max_size=3),
       opening_st, st.lists(event_st, max_size=10), adj_st)
def test_per_earner_recompute_equals_full_recompute(people, clients, sales, leads, first, events, adjustments):
    """After a random sequence of events recorded through the services (openings in either branch
    by either branch's people, sales, leads, signing, closing, a new headcount), the drain — which
    recomputes only the earners the markers name — leaves every period's lines exactly as a full
    recompute wants them, line by line and value by value; a full recompute afterwards writes
    nothing (same ids, same row versions) and leaves HQ's rollup as the per-earner one left it."""
    from commissions.models import RecomputeMarker

    try:
        with transaction.atomic():
            for code, component, percent, start, length in adjustments:
                register_adjustment(code, component, str(percent), start.isoformat(),
                                    (start + dt.timedelta(days=length)).isoformat() if length is not None else None)
            _populate(people, clients, sales, leads)
            for code in ("bj", "sh"):
                with in_branch(code):
                    for period in WINDOW:
                        services.recompute_period(period=period)
            assert _record(people, [first, *events]) >= 1  # an opening is never refused
            marked = set()
            for code in ("bj", "sh"):
                with in_branch(code):
                    markers = list(RecomputeMarker.objects.values_list("period", "earners"))
                    assert all(earners for _p, earners in markers)  # every event named its earners
                    marked |= {p for p, _e in markers}
            assert marked <= set(WINDOW)
            results = [r for code in ("bj", "sh") for r in drain(code)]
            assert {r.mode for r in results} <= {"earners", "skipped"} and "earners" in {r.mode for r in results}
            for code in ("bj", "sh"):
                with in_branch(code):
                    assert RecomputeMarker.objects.count() == 0
                    for period in WINDOW:
                        per_earner, rollup = _stored(period), _rollup(period)
                        wanted = {(ln.earner_id, ln.source, ln.component): tuple(getattr(ln, c) for c in _VALUES)
                                  for ln in selectors.sql_lines(period=period)}
                        assert {k: v[2] for k, v in per_earner.items()} == wanted, (code, period)
                        services.recompute_period(period=period)  # the full one
                        assert _stored(period) == per_earner, (code, period)
                        assert _rollup(period) == rollup, (code, period)
            raise _Rollback
    except _Rollback:
        pass


def test_an_event_recomputes_only_its_earner(api, people):
    """One opening: the drain recomputes the opener's lines only — another earner's stale line
    in the same branch-period is left for the full recompute (proof that it was not compared)."""
    from commissions.models import RecomputeMarker, StatementLine

    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=30, name="乙")
    drain("bj")
    with in_branch("bj"):
        StatementLine.objects.filter(earner=people["bj_s2"]).update(amount=D("1.00"))  # stale on purpose
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    with in_branch("bj"):
        assert list(RecomputeMarker.objects.values_list("earners", "event_branch_id")) == [
            ([people["bj_s1"].pk], services.current_branch().id)]
    [result] = drain("bj")
    assert (result.mode, result.lines) == ("earners", 1)
    with in_branch("bj"):
        amounts = dict(StatementLine.objects.values_list("earner__username", "amount"))
        assert amounts == {"bj_s1": D("800.00"), "bj_s2": D("1.00")}
        services.recompute_period(period="2026-03")
        assert dict(StatementLine.objects.values_list("earner__username", "amount")) == {
            "bj_s1": D("800.00"), "bj_s2": D("800.00")}


def test_cross_branch_event_marks_the_home_branch_with_its_earner(api, people):
    """A Shanghai client opened by a Beijing specialist: Beijing's marker names the specialist and
    Shanghai as where it happened; Shanghai gets none; Beijing's drain writes the line."""
    from commissions.models import RecomputeMarker, StatementLine

    people["bj_s1"].memberships.create(branch=services.Branch.objects.get(code="sh"), role="specialist")
    open_client(api, people["sh_staff"], "sh", opened_by="bj_s1", headcount=30)
    sh_id = services.Branch.objects.get(code="sh").id
    with in_branch("sh"):
        assert RecomputeMarker.objects.count() == 0
    with in_branch("bj"):
        assert list(RecomputeMarker.objects.values_list("earners", "event_branch_id")) == [([people["bj_s1"].pk], sh_id)]
    [result] = drain("bj")
    assert result.mode == "earners"
    with in_branch("bj"):
        assert list(StatementLine.objects.values_list("earner__username", "source_branch_id", "amount")) == [
            ("bj_s1", sh_id, D("800.00"))]
