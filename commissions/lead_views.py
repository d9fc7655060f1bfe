"""Lead pages for the people who work them (phone first): 我的线索 at /b/<code>/leads/, a new
lead with its contact details, a lead with its stages (buttons for the next step) and its edit
form, the signing form, and a dispute over who sourced it (decided by the manager). They call
the same services and selectors as the API (`lead_services`, `lead_selectors`); who may do what
is decided there.

Access: marketing, sales, branch staff and managers (HQ admins as managers); other branch
roles get 403; someone without a role here 404 (BranchAccessMiddleware)."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from branches import roles as R
from branches.pages import page_roles
from branches.roles import Role, roles_in_branch
from clients.models import Service
from hrsaas.core.forms import TextBoxField
from hrsaas.core.inputs import record_id
from hrsaas.core.people import names_told_apart

from . import lead_selectors, lead_services
from .forms import ServiceForm, _text
from .models import Lead, LeadDispute

DATE = {"type": "date"}
# Who may open the lead pages; other branch roles get 403, outsiders 404 (as the docstring says).
LEAD_PAGES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.MARKETING, Role.SALES})


def _roles(request) -> frozenset[str]:
    roles = roles_in_branch(request.user, request.tenant)
    if not roles:
        raise Http404
    if not roles & lead_services.LEAD_ROLES:
        raise PermissionDenied
    return roles


def _errors(form, exc: ValidationError) -> None:
    form.add_service_errors(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})


class LeadDetailsForm(ServiceForm):
    """联系人, 联系电话, 渠道, 意向服务, 备注: what a new lead and an edit share (all optional)."""

    contact = _text(gettext_lazy("联系人"), required=False, maxlength=50, autocomplete="name")
    phone = _text(gettext_lazy("联系电话"), required=False, maxlength=30, type="tel", inputmode="tel",
                  autocomplete="tel", help_text=gettext_lazy("手机或固定电话,如 138 1234 5678、010-12345678"))
    channel = forms.ChoiceField(label=gettext_lazy("渠道"), required=False, choices=[("", "—"), *Lead.Channel.choices])
    services = forms.MultipleChoiceField(label=gettext_lazy("意向服务"), required=False, choices=Service.choices,
                                         widget=forms.CheckboxSelectMultiple)
    notes = TextBoxField(label=gettext_lazy("备注"), required=False, max_length=500,
                         widget=forms.Textarea(attrs={"rows": 3}))
    field_order = ["name", "source", "marketer", "created_on", "contact", "phone", "channel", "services",
                   "qualified", "owner", "notes"]

    def service_data(self) -> dict:
        data = super().service_data()
        data["services"] = self.data.getlist(self.add_prefix("services")) if hasattr(self.data, "getlist") else []
        if "qualified" in self.fields:  # an unticked box is not sent at all
            data["qualified"] = self.data.get(self.add_prefix("qualified")) in ("on", "true", "1", "True")
        return data


class OwnLeadForm(LeadDetailsForm):
    name = _text(gettext_lazy("客户/线索名称"), autocomplete="organization")
    created_on = _text(gettext_lazy("线索日期"), required=False, help_text=gettext_lazy("留空为今天"), **DATE)
    qualified = forms.BooleanField(label=gettext_lazy("有效线索"), required=False, initial=True)
    owner = forms.ChoiceField(label=gettext_lazy("交给哪位销售跟进"), required=False, help_text=gettext_lazy("可留空,由经理指派"))

    def __init__(self, *args, roles=frozenset(), sellers=(), marketers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.office = lead_services.is_office(roles)
        self.fields["owner"].choices = [("", "—")] + list(sellers)  # names shown, usernames sent
        if self.office:
            self.fields["source"] = forms.ChoiceField(label=pgettext_lazy("lead", "来源"), choices=[("", "—")] + list(Lead.Source.choices))
            # The branch's marketers by name, as 跟进销售 lists its sellers: the page offers only
            # people who can work the lead here (the API still takes another branch's marketer).
            self.fields["marketer"] = forms.ChoiceField(
                label=gettext_lazy("市场人员"), required=False, choices=[("", "—")] + list(marketers),
                help_text=gettext_lazy("市场线索必填;销售自拓线索留空"),
                error_messages={"invalid_choice": gettext_lazy("请从列表中选择本分支机构的市场人员。")})
        elif Role.MARKETING not in roles:
            del self.fields["owner"]  # a seller's own lead is followed up by themselves
        self.order_fields(self.field_order)


class LeadEditForm(LeadDetailsForm):
    """A saved lead's name, contact details, 有效线索 and — for whom `lead_services.assign_refusal`
    allows it — its 跟进销售, shown with the lead's values."""

    name = _text(gettext_lazy("客户/线索名称"), autocomplete="organization")
    qualified = forms.BooleanField(label=gettext_lazy("有效线索"), required=False)
    owner = forms.ChoiceField(label=gettext_lazy("跟进销售"), required=False)

    def __init__(self, *args, lead: Lead, may_assign: bool, may_qualify: bool = True, sellers=(), **kwargs):
        from branches.models import User

        owner = User.objects.filter(pk=lead.owner_id).values_list("username", "display_name").first()
        kwargs["initial"] = {"name": lead.name, "contact": lead.contact, "phone": lead.phone, "channel": lead.channel,
                             "services": list(lead.services), "notes": lead.notes, "qualified": lead.qualified,
                             "owner": owner[0] if owner else ""}
        super().__init__(*args, **kwargs)
        if not may_qualify:
            del self.fields["qualified"]
        if may_assign:
            choices = list(sellers)
            if owner and owner[0] not in dict(choices):
                choices.insert(0, (owner[0], owner[1] or owner[0]))  # e.g. a seller who left: shown, not lost
            # Unassigned: it may stay so; assigned: it is handed to another seller, never emptied.
            self.fields["owner"].choices = ([] if owner else [("", "—")]) + choices
        else:
            del self.fields["owner"]


class SignForm(ServiceForm):
    amount = _text(gettext_lazy("签约金额(元)"), inputmode="decimal", placeholder="100000.00")
    signed_on = _text(gettext_lazy("签约日期"), **DATE)

    def __init__(self, *args, roles=frozenset(), sellers=(), **kwargs):
        super().__init__(*args, **kwargs)
        if lead_services.is_office(roles):
            self.fields["seller"] = forms.ChoiceField(
                label=gettext_lazy("成交销售"), choices=[("", "—")] + list(sellers),
                error_messages={"invalid_choice": gettext_lazy("请从列表中选择本分支机构的销售人员。")})


class DisputeForm(ServiceForm):
    reason = TextBoxField(label=gettext_lazy("为什么这条线索应记在您名下"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(ServiceForm):
    dispute = forms.IntegerField(widget=forms.HiddenInput)
    upheld = forms.ChoiceField(label=gettext_lazy("裁决"), choices=[("true", gettext_lazy("认定申诉人")), ("false", gettext_lazy("维持原归属"))],
                               widget=forms.RadioSelect)
    note = forms.CharField(label=gettext_lazy("裁决说明"), max_length=500)


def _people(request, role: str) -> list[tuple[str, str]]:
    """(username, name) of the branch's active people with `role`, for a form's list."""
    from branches.models import BranchMembership

    rows = list(BranchMembership.objects.filter(branch=request.tenant, role=role, user__is_active=True)
                .values_list("user__username", "user__display_name").distinct().order_by("user__display_name"))
    # Names shown, usernames sent: two people of one name are told apart by their sign-in name.
    return list(zip((u for u, _d in rows), names_told_apart([(d or u, (u,)) for u, d in rows])))


def _sellers(request) -> list[tuple[str, str]]:
    return _people(request, Role.SALES)


LEADS_SHOWN = 200  # the most recently moved leads; beyond them the page says how many there are


@page_roles(LEAD_PAGES, forbidden_to=R.EVERY_BRANCH_ROLE)
def my_leads(request):
    roles = _roles(request)
    qs = lead_selectors.leads_visible_to(request.user, roles).order_by("-stage_since", "-id")
    rows = lead_selectors.lead_rows(qs[:LEADS_SHOWN])
    total = qs.count() if len(rows) == LEADS_SHOWN else len(rows)
    limit, now = lead_selectors.stage_limit_days(), timezone.now()
    for row in rows:
        row["stuck_days"] = lead_selectors.stuck_since(row["_obj"], limit_days=limit, now=now)
    figures = (lead_selectors.marketing_figures(request.user.pk, lead_selectors.this_period())
               if Role.MARKETING in roles else None)
    return render(request, "commissions/leads_mine.html", {
        "rows": rows, "figures": figures, "limit": limit, "office": lead_services.is_office(roles),
        "shown": len(rows), "total": total,
        "title": _("线索") if lead_services.is_office(roles) else _("我的线索")})


@page_roles(LEAD_PAGES, forbidden_to=R.EVERY_BRANCH_ROLE)
def lead_new(request):
    roles = _roles(request)
    office = lead_services.is_office(roles)
    form = OwnLeadForm(request.POST if request.method == "POST" else None, roles=roles, sellers=_sellers(request),
                       marketers=_people(request, Role.MARKETING) if office else ())
    if request.method == "POST":
        valid = form.is_valid()  # the lists' own refusals (someone the page does not offer) stop it too
        try:
            data, details = lead_services.parse_new_lead(form.service_data(), actor=request.user, roles=roles)
            if valid:
                lead = lead_services.lead_record(actor=request.user, data=data, details=details)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if valid:
                messages.success(request, _("已录入线索:%(n)s。") % {"n": lead.name})
                return redirect("lead-detail", lead_id=lead.pk)
    return render(request, "commissions/lead_form.html", {"form": form, "title": _("新线索"), "testid": "lead-new"})


def _edit_form(request, lead: Lead, roles, data=None) -> LeadEditForm | None:
    if not lead_services.may_edit(lead, actor=request.user, roles=roles):
        return None
    may_assign = lead_services.assign_refusal(lead, actor=request.user, roles=roles) is None
    return LeadEditForm(data, lead=lead, may_assign=may_assign,
                        may_qualify=lead_services.may_mark_qualified(lead, actor=request.user, roles=roles),
                        sellers=_sellers(request) if may_assign else ())


@page_roles(LEAD_PAGES, forbidden_to=R.EVERY_BRANCH_ROLE)
def lead_detail(request, lead_id: int):
    roles = _roles(request)
    lead = lead_selectors.access_lead(request.user, roles, lead_id)
    dispute_form = DisputeForm(None)
    decide_form = None
    edit_form = None
    if request.method == "POST" and request.POST.get("action") == "edit":
        # Edited in place: a refusal shows each message by its field, what was typed kept.
        edit_form = _edit_form(request, lead, roles, data=request.POST)
        if edit_form is None:
            raise Http404
        edit_form.is_valid()
        try:
            lead = lead_services.lead_update(actor=request.user, roles=roles, lead_id=lead.pk,
                                             data=edit_form.service_data())
        except ValidationError as exc:
            _errors(edit_form, exc)
        else:
            messages.success(request, _("已保存线索:%(n)s。") % {"n": lead.name})
            return redirect("lead-detail", lead_id=lead.pk)
    elif request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "stage":
                lead_services.lead_stage_move(actor=request.user, roles=roles, lead_id=lead.pk,
                                              to=request.POST.get("stage", ""), note=request.POST.get("note", "").strip())
                messages.success(request, _("已记录:%(s)s。") % {"s": Lead.Stage(request.POST["stage"]).label})
            elif action == "dispute":
                dispute_form = DisputeForm(request.POST)
                lead_services.lead_dispute_raise(actor=request.user, roles=roles, lead_id=lead.pk,
                                                 data={"reason": request.POST.get("reason", "")})
                messages.success(request, _("争议已提交,等待经理裁决。"))
            elif action == "decide" and roles & {Role.BRANCH_MANAGER, Role.HQ_ADMIN}:
                decide_form = DecideForm(request.POST)
                dispute_id = record_id(request.POST.get("dispute"))
                if dispute_id is None:  # a hidden field: only a hand-made form sends anything else
                    raise ValidationError({"dispute": [_("请选择要裁决的争议。")]})
                lead_services.lead_dispute_decide(actor=request.user, dispute_id=dispute_id,
                                                  data={"upheld": request.POST.get("upheld"),
                                                        "note": request.POST.get("note", "")})
                messages.success(request, _("已裁决。"))
            else:
                raise PermissionDenied
        except ValidationError as exc:
            for errs in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]):
                for err in errs:
                    messages.error(request, err)
            return redirect("lead-detail", lead_id=lead.pk)
        return redirect("lead-detail", lead_id=lead.pk)
    row = lead_selectors.lead_detail(request.user, roles, lead.pk)
    after = row["next_stage"]
    can_move = bool(after) and after != Lead.Stage.ARCHIVED and \
        lead_services.may_move(lead, actor=request.user, roles=roles, to=after) and \
        (after != Lead.Stage.SETTLED or lead_services.is_office(roles))
    can_sign = lead.signed_on is None and (lead_services.is_office(roles)
                                           or (Role.SALES in roles and lead.owner_id == request.user.pk))
    open_disputes = [d for d in row["disputes"] if d["status"] == LeadDispute.Status.OPEN]
    if open_disputes and roles & {Role.BRANCH_MANAGER, Role.HQ_ADMIN}:
        decide_form = DecideForm(initial={"dispute": open_disputes[0]["id"]})
    refused = edit_form is not None and bool(edit_form.errors)
    edit_form = edit_form or _edit_form(request, lead, roles)
    return render(request, "commissions/lead_detail.html", {
        "edit_form": edit_form, "edit_open": refused or "edit" in request.GET,
        "lead": lead, "row": row, "can_move": can_move, "can_sign": can_sign, "roles": roles,
        "may_dispute": bool(roles & {Role.MARKETING, Role.SALES}) and lead_services.sourced_by(lead) != request.user.pk,
        "dispute_form": dispute_form, "decide_form": decide_form, "open_dispute": open_disputes[0] if open_disputes else None,
        "stuck_days": lead_selectors.stuck_since(lead, limit_days=lead_selectors.stage_limit_days(), now=timezone.now()),
    }, status=400 if refused else 200)


@page_roles(LEAD_PAGES, forbidden_to=R.EVERY_BRANCH_ROLE)
def lead_sign(request, lead_id: int):
    from branches.models import User

    roles = _roles(request)
    lead = lead_selectors.access_lead(request.user, roles, lead_id)
    owner = User.objects.filter(pk=lead.owner_id).values_list("username", flat=True).first()
    form = SignForm(request.POST if request.method == "POST" else None, roles=roles,
                    sellers=_sellers(request) if lead_services.is_office(roles) else (),
                    initial={"signed_on": timezone.localdate().isoformat(), "seller": owner or ""})
    if request.method == "POST":
        valid = form.is_valid()  # a seller the list does not offer is refused by the list itself
        try:
            data = lead_services.parse_own_sign(form.service_data(), actor=request.user, roles=roles)
            if valid:
                lead_services.lead_sign_by(actor=request.user, roles=roles, lead_id=lead.pk, data=data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if valid:
                messages.success(request, _("已签约,提成将在几秒内更新。"))
                return redirect("lead-detail", lead_id=lead.pk)
    return render(request, "commissions/lead_form.html", {
        "form": form, "title": _("签约:%(n)s") % {"n": lead.name}, "testid": "lead-sign-form", "lead": lead})
