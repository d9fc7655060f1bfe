"""The earner's 电子工资条 in the branch (`/b/<code>/commissions/payslip/<period>/`): their own
closed statement, opened (recorded), confirmed with one tap (一键确认) or questioned on one line
(the portal's inquiry). Only the earner themself: anyone else gets the same 404 as a missing
statement. Also the JSON equivalents under the branch API.

On the pages the document is 提成单 (Statement), as on every page that shows it: SPEC's
电子工资条 is the act of sending it to be confirmed, not another document (the product has no
payroll slip; a client's fee statement is 费用明细表)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.pages import page_roles
from hrsaas.core.forms import TextBoxField
from hrsaas.core.formatting import format_money

from ...inputs import PERIOD_RE
from ...selectors import access_statement
from ...templatetags.commission_format import period_label
from . import receipts


def _where(request) -> tuple[str | None, str]:
    # REMOTE_ADDR is the peer the server saw; behind a proxy, the deployment sets it from the
    # proxy's header (gunicorn --forwarded-allow-ips), so a client cannot forge it here.
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")


def _period(period: str) -> str:
    if not PERIOD_RE.match(period or ""):
        raise Http404
    return period


def _own(request, period: str):
    """(receipt, statement) of the caller's own statement of `period`, or 404."""
    receipt = receipts.access_receipt(request.user, request.tenant, period)
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    return receipt, access_statement(request.user, request.tenant, request.user.username, period, lang=lang)


class QuestionForm(forms.Form):
    """A question on one line of the statement: the line chosen and what is wrong with it."""

    line = forms.ChoiceField(label=gettext_lazy("项目"), error_messages={
        "required": gettext_lazy("请选择有疑问的项目。"), "invalid_choice": gettext_lazy("请选择有疑问的项目。")})
    comment = TextBoxField(label=gettext_lazy("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": gettext_lazy("请写下这一项哪里有疑问。")})

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", _("请选择"))] + [
            (ln["key"], f"{ln['title']} · {format_money(ln['amount'])} {_('元')}") for ln in lines]


def _say(request, exc: ValidationError) -> None:
    for errs in exc.message_dict.values():
        for err in errs:
            messages.error(request, err)


@page_roles(R.INSIDERS)  # own statement only (404 otherwise)
@login_required
def payslip(request, period: str):
    from hrsaas.core.labels import label
    from portal.forms import add_service_errors
    from portal.selectors import line_key

    period = _period(period)
    receipt, stmt = _own(request, period)
    ip, ua = _where(request)
    # Each line's item in the reader's language (a component the labels lack reads 提成).
    lines = [dict(ln, key=line_key(ln), title=label("component", ln["component"]) or _("提成")) for ln in stmt["lines"]]
    question = QuestionForm(lines=lines)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "confirm":
            try:
                receipts.receipt_confirm(actor=request.user, branch=request.tenant, period=period, ip=ip, user_agent=ua)
                messages.success(request, _("已确认 %(p)s 提成单。") % {"p": period_label(period)})
            except ValidationError as exc:
                _say(request, exc)
            return redirect(request.path)
        if action != "question":
            raise Http404
        # A question that cannot be raised comes back with what was typed and the reason beside
        # the field, not as a message at the top of a page that has forgotten the text.
        question = QuestionForm(request.POST, lines=lines)
        if question.is_valid():
            try:
                r = receipts.receipt_question(actor=request.user, branch=request.tenant, period=period,
                                              key=question.cleaned_data["line"], comment=question.cleaned_data["comment"],
                                              ip=ip, user_agent=ua)
            except ValidationError as exc:
                if not set(exc.message_dict) <= set(question.fields):
                    # About the statement, not the form (confirmed meanwhile, in another tab):
                    # said at the top of the page, which no longer offers the form.
                    _say(request, exc)
                    return redirect(request.path)
                add_service_errors(question, exc)
            else:
                messages.success(request, _("已提出申诉,经理会尽快答复。"))
                return redirect(f"/b/{request.tenant.code}/me/inquiries/{r.inquiry_id}/")
    receipt = receipts.receipt_open(actor=request.user, branch=request.tenant, period=period, ip=ip, user_agent=ua)
    return render(request, "commissions/payouts/payslip.html", {
        "period": period, "receipt": receipt, "s": stmt, "lines": lines, "question": question,
        "nav_active": "statements"}, status=400 if question.errors else 200)


def _receipt_out(r) -> dict:
    return {"period": r.period, "total": f"{r.total:.2f}", "state": r.state,
            "sent_at": r.sent_at.isoformat(), "opened_at": r.opened_at and r.opened_at.isoformat(),
            "confirmed_at": r.confirmed_at and r.confirmed_at.isoformat(),
            "questioned_at": r.questioned_at and r.questioned_at.isoformat(), "inquiry_id": r.inquiry_id}


class PayslipConfirmApi(APIView):
    """`POST statements/me/{period}/confirm/` — 一键确认 of the caller's own statement."""

    roles = R.INSIDERS  # and only one's own statement (404 otherwise)

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, period: str):
        ip, ua = _where(request)
        r = receipts.receipt_confirm(actor=request.user, branch=request.tenant, period=_period(period), ip=ip,
                                     user_agent=ua)
        return Response(_receipt_out(r))


class PayslipQuestionApi(APIView):
    """`POST statements/me/{period}/question/ {line, comment}` — opens an inquiry on that line."""

    roles = R.INSIDERS  # and only one's own statement (404 otherwise)

    @extend_schema(request=inline_serializer("PayslipQuestionIn", fields={
        "line": serializers.IntegerField(), "comment": serializers.CharField(required=False)}), responses={200: dict})
    def post(self, request, period: str):
        ip, ua = _where(request)
        data = request.data if isinstance(request.data, dict) else {}
        if not data.get("line"):
            raise ValidationError({"line": [_("请选择有疑问的项目。")]})
        r = receipts.receipt_question(actor=request.user, branch=request.tenant, period=_period(period),
                                      key=str(data["line"]), comment=data.get("comment"), ip=ip, user_agent=ua)
        return Response(_receipt_out(r))
