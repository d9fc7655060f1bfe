"""The manager's what-if preview of a pending float (影响预览): "当前" is the statement's total as
the statements page shows it — 提成更正 and 申诉调整 lines included — and "调整后" adds only what
the float changes; a float the system will not approve (past ±20% with those approved) gets no
调整后 figures at all."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from commissions import services as commission_services
from commissions.models import Adjustment, StatementLine
from tests.conftest import in_branch

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db


def _page(client, url: str) -> str:
    """The page without its cells' phone labels (`data-label`, the card layout): the figures."""
    return re.sub(r' data-label="[^"]*"', "", client.get(url).content.decode())


def _months() -> tuple[dt.date, dt.date]:
    this = timezone.localdate().replace(day=1)
    return (this - dt.timedelta(days=1)).replace(day=1), this


def _propose(api, people, percent: str, start: dt.date) -> int:
    r = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": percent, "effective_from": start.isoformat(), "reason": "旺季"},
        format="json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_current_is_the_statements_total_with_its_correction_and_manual_lines(client, api, people):
    last, this = _months()
    # last month: bj_s1 opens 甲公司 (800.00); the month is closed
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on=last.isoformat())
    drain("bj")
    assert api(people["bj_manager"]).post(f"/b/bj/api/v1/periods/{last:%Y-%m}/close/").status_code == 200
    # then an opening dated last month (1,200.00) is paid as a 提成更正 this month, bj_s1 opens
    # 丙公司 this month (800.00) and an inquiry gives a 480.00 申诉调整
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=80, opened_on=last.isoformat(), name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on=this.isoformat(), name="丙公司")
    with in_branch("bj"):
        commission_services.manual_line_post(actor=people["bj_manager"], earner_id=people["bj_s1"].pk,
                                             period=f"{this:%Y-%m}", amount=Decimal("480.00"), reference="inquiry:7",
                                             event_date=this)
    drain("bj")
    with in_branch("bj"):
        kinds = sorted(StatementLine.objects.filter(period=f"{this:%Y-%m}").values_list("component", "amount"))
    assert kinds == [("correction", Decimal("1200.00")), ("manual_adjustment", Decimal("480.00")),
                     ("opening_reward", Decimal("800.00"))]
    adj = _propose(api, people, "10.00", this)
    client.force_login(people["bj_manager"])
    statements = client.get(f"/b/bj/commissions/statements/{this:%Y-%m}/").content.decode()
    assert 'data-testid="statements-total">2,480.00<' in statements

    html = _page(client, f"/b/bj/commissions/adjustments/{adj}/")

    month = f"{this:%Y-%m}"
    # 当前 2,480.00 as on the statement; the float changes the regular 800.00 only: +80.00
    assert "<td>bj_s1</td><td class=\"num\">2,480.00</td><td class=\"num\">2,560.00</td><td class=\"num\">+80.00</td>" in html
    assert f'data-testid="total-current-{month}">2,480.00<' in html
    assert f'data-testid="total-what-if-{month}">2,560.00<' in html
    # the closed month is untouched by a float starting this month
    assert f'data-testid="total-current-{last:%Y-%m}"' not in html and 'data-testid="unchanged-periods"' in html


def test_a_float_the_system_will_not_approve_shows_no_amounts_after_adjustment(client, api, people):
    last, this = _months()
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=150, opened_on=this.isoformat())  # 1,800.00
    drain("bj")
    first, second = _propose(api, people, "15.00", this), _propose(api, people, "10.00", this)
    client.force_login(people["bj_manager"])
    before = _page(client, f"/b/bj/commissions/adjustments/{second}/")
    assert "<td class=\"num\">1,980.00</td><td class=\"num\">+180.00</td>" in before  # alone it is approvable
    assert client.post(f"/b/bj/commissions/adjustments/{first}/decide/",
                       {"action": "approve", "note": "同意"}).status_code == 302
    drain("bj")  # bj_s1's statement now pays 1,800.00 × 1.15 = 2,070.00

    html = _page(client, f"/b/bj/commissions/adjustments/{second}/")

    warning = re.search(r'data-testid="cap-warning">(.*?)</p>', html).group(1)
    assert "系统不会批准" in warning and "合计 +25.00%" in warning
    # neither the capped effect (+90.00 to reach +20%) nor any other 调整后 figure
    assert 'data-testid="what-if-period-' not in html and "total-what-if" not in html and "+90.00" not in html
    assert "2,160.00" not in html and 'data-testid="replay-link"' not in html
    assert 'data-testid="what-if-nothing"' not in html  # it is not "unaffected" either
    assert re.search(r'data-testid="what-if-not-approvable">([^<]*)<', html).group(1) == \
        "超出上限的调整不会生效,因此不显示调整后的金额。"
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=second).status == "proposed"

    client.cookies["django_language"] = "en"
    english = _page(client, f"/b/bj/commissions/adjustments/{second}/")
    assert "An adjustment past the limit never takes effect, so no amounts after adjustment are shown." in english
