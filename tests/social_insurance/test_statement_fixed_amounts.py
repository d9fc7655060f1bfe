"""A fee statement shows how each amount is made: base × rate + fixed amount = amount (Beijing's
3.00 大额医疗 on the employee's medical), in the XLSX (columns of their own and the line's
explanation) and on the page, in either language."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from social_insurance import services
from social_insurance.models import ClientContact, FeeStatement
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client, web

pytestmark = pytest.mark.django_db
D = Decimal
M = "2026-11"


@pytest.fixture
def statement(staff):
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        ClientContact.objects.create(user=contact, client=client)
        add_employee(client, 1, "8500", "2026-11-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        return FeeStatement.objects.get(period=M, client=client), contact


def _rows(client, pk):
    resp = client.get(f"/b/bj/si/statements/{pk}/?format=xlsx")
    return list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))


def test_the_xlsx_shows_the_fixed_amount_and_the_arithmetic_of_each_line(statement):
    st, contact = statement
    rows = _rows(web(contact), st.pk)
    assert rows[1][10:13] == ("单位固定金额", "个人固定金额", "说明")
    medical = next(r for r in rows[2:] if r[2] == "医疗保险")
    base, er_pct, ee_pct, er, ee, er_fixed, ee_fixed, words = medical[5:13]
    assert (D(str(base)), D(str(ee_pct)), D(str(ee)), D(str(ee_fixed))) == (D("8500"), D("2"), D("173"), D("3"))
    assert D(str(base)) * D(str(ee_pct)) / 100 + D(str(ee_fixed)) == D(str(ee))
    assert D(str(base)) * D(str(er_pct)) / 100 + D(str(er_fixed)) == D(str(er))
    assert words == f"单位:8,500.00 × {D(str(er_pct)):.2f}% = {D(str(er)):,.2f};个人:8,500.00 × 2.00% + 固定 3.00 = 173.00"
    pension = next(r for r in rows[2:] if r[2] == "养老保险")
    assert D(str(pension[11])) == 0 and "固定" not in pension[12]
    english = web(contact)
    english.cookies["django_language"] = "en"
    rows = _rows(english, st.pk)
    assert rows[1][10:13] == ("Employer fixed amount", "Employee fixed amount", "Notes")
    medical = next(r for r in rows[2:] if r[2] == "Medical insurance")
    assert medical[12].endswith("; Employee: 8,500.00 × 2.00% + fixed 3.00 = 173.00"), medical[12]


def test_the_statement_page_shows_the_fixed_amount_under_the_amount(statement):
    st, contact = statement
    html = web(contact).get(f"/b/bj/si/statements/{st.pk}/").content.decode()
    assert 'data-testid="employee-working">× 2.00% + 固定 3.00<' in html
    assert 'data-testid="employee-working">× 8.00%<' in html  # pension: no fixed amount
    english = web(contact)
    english.cookies["django_language"] = "en"
    assert 'data-testid="employee-working">× 2.00% + fixed 3.00<' in english.get(
        f"/b/bj/si/statements/{st.pk}/").content.decode()
