"""客户管理 pages at /b/<code>/clients/: list (search, filters, sort, pages, CSV/XLSX), detail,
开户 and edit forms, 终止. They call clients.services and clients.selectors, as the API does.

Who may open what is declared once, in PAGE_ROLES (BranchAccessMiddleware has already checked
login and branch membership):
- list, detail, export: branch manager, branch staff, HQ admin — every client; a specialist —
  the clients they opened;
- create, edit, close: branch manager, branch staff, HQ admin (403 for a specialist);
- anyone else (client contact, marketing, sales, HQ finance): 404, as for a missing client."""
from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import BranchMembership
from branches.pages import page_roles
from branches.roles import EARNER_ROLES, Role, roles_in_branch

from social_insurance import selectors as si_selectors
from social_insurance import services as si_services

from . import selectors, services
from hrsaas.exports import FORMATS, table_response
from .forms import ClientCloseForm, ClientCreateForm, ClientEditForm
from .models import FEE_FIELDS, Grade, Service
from hrsaas.core.collation import by_pinyin

READ = selectors.READ_ALL_ROLES | selectors.READ_OWN_ROLES
WRITE = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})
PAGE_ROLES = {"read": READ, "write": WRITE}
PER_PAGE = 20
EXPORT_MAX = 50_000


def _require(request, action: str) -> frozenset[str]:
    """The one access check of these pages: no reading role → 404; reading but not writing → 403."""
    roles = roles_in_branch(request.user, request.tenant)
    if not roles & PAGE_ROLES["read"]:
        raise Http404
    if not roles & PAGE_ROLES[action]:
        raise PermissionDenied
    return roles


def _base(request) -> str:
    return f"/b/{request.tenant.code}/clients/"


def _cities() -> list[tuple[str, str]]:
    from social_insurance.policies.selectors import known_cities

    return known_cities()


def _earners(branch) -> list[tuple[str, str]]:
    """(username, "display name · role") of the branch's earners, for the opener choice."""
    rows = (BranchMembership.objects.filter(branch=branch, role__in=list(EARNER_ROLES), user__is_active=True)
            .values_list("user__username", "user__display_name", "role").order_by(*by_pinyin("user__display_name", "user__username")))
    seen: dict[str, str] = {}
    for username, name, role in rows:
        seen.setdefault(username, f"{name or username} · {Role(role).label}")
    # Two people shown alike (same name and role) are told apart by their login, the one thing
    # that differs; everyone else is shown by name only.
    counts = Counter(seen.values())
    return [(u, f"{label} ({u})" if counts[label] > 1 else label) for u, label in seen.items()]


def _service_errors(form, exc: ValidationError) -> None:
    form.add_service_errors(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})


def _status_label(client, today) -> str:
    return _("在服") if client.is_active_on(today) else _("已终止")


def _service_labels(codes) -> str:
    """The services in the product's one order (社保代缴、公积金代缴、薪酬外包), whatever order they
    were ticked in, so every client's list reads the same way."""
    labels = dict(Service.choices)
    order = {code: i for i, code in enumerate(Service.values)}
    return _("、").join(str(labels.get(c, c)) for c in sorted(codes, key=lambda c: order.get(c, len(order))))


# ---------------------------------------------------------------------------------------------
# List and export
# ---------------------------------------------------------------------------------------------
@page_roles(READ)
def client_list(request):
    roles = _require(request, "read")
    filters = selectors.ClientFilters.from_query(request.GET)
    qs = selectors.client_list(request.user, request.tenant, filters)
    today = timezone.localdate()
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return _export(qs, fmt, today)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    clients = list(page.object_list)
    labels = selectors.user_labels(c.opened_by_id for c in clients)
    for c in clients:
        c.opener_label = labels.get(c.opened_by_id, "")
        c.status_label = _status_label(c, today)
        c.service_labels = _service_labels(c.services)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, "clients/list.html", {
        "branch": request.tenant, "page": page, "clients": clients, "filters": filters,
        "query": query.urlencode(), "may_write": bool(roles & WRITE), "openers": selectors.openers(request.user, request.tenant),
        "grades": Grade.choices, "services": Service.choices,
        "sorts": [("name", _("名称")), ("-opened_on", _("开户日期(新→旧)")), ("opened_on", _("开户日期(旧→新)")),
                  ("-headcount", _("员工人数(多→少)")), ("headcount", _("员工人数(少→多)")),
                  ("-insured", _("参保人数(多→少)"))],
    })


def _export(qs, fmt: str, today):
    clients = list(qs[:EXPORT_MAX])
    labels = selectors.user_labels(c.opened_by_id for c in clients)
    cities = dict(_cities())
    headers = [_("客户名称"), _("合同编号"), _("员工人数"), _("参保人数"), _("服务"), _("客户等级"), _("开户人"),
               _("开户日期"), _("状态"), _("终止日期"), _("参保城市")]
    rows = [[c.name, c.contract_no, c.headcount, c.insured_count, _service_labels(c.services), c.get_grade_display(),
             labels.get(c.opened_by_id, ""), c.opened_on, _status_label(c, today), c.closed_on,
             cities.get(c.city, c.city)] for c in clients]
    return table_response(fmt=fmt, filename=f"clients-{today:%Y%m%d}", title=_("客户列表"), headers=headers, rows=rows)


# ---------------------------------------------------------------------------------------------
# Detail, create, edit, close
# ---------------------------------------------------------------------------------------------
@page_roles(READ)
def client_detail(request, pk: int):
    roles = _require(request, "read")
    client = selectors.access_client(request.user, request.tenant, pk)
    today = timezone.localdate()
    choices = (si_services.contact_accounts(request.tenant, excluding_client=client)
               if roles & WRITE and not client.closed_on else [])
    detail = selectors.client_detail(client, today=today,
                                     with_statements=si_selectors.reads_insured_people(request.user, request.tenant))
    return render(request, "clients/detail.html", {
        "branch": request.tenant, "d": detail, "client": client, "may_write": bool(roles & WRITE),
        "status_label": _status_label(client, today), "service_labels": _service_labels(client.services),
        "fees": [(label, client.service_fee(code)) for code, label in Service.choices if client.service_fee(code)],
        "city_label": dict(_cities()).get(client.city, client.city),
        "close_form": ClientCloseForm(initial={"closed_on": today.isoformat()}),
        # 客户联系人: the portal accounts that speak for this company, and those the office may link
        "contacts": si_services.client_contacts(client),
        "contact_choices": choices,
        "contact_choices_speak_for_others": any(u.speaks_for for u in choices),
    })


@require_POST
@page_roles(WRITE, forbidden_to=READ)
def client_contact_add(request, pk: int):
    """Link a client-contact account to this client (its portal login for this company)."""
    _require(request, "write")
    client = selectors.access_client(request.user, request.tenant, pk)
    try:
        link = si_services.client_contact_add(actor=request.user, branch=request.tenant, client=client,
                                              user_id=request.POST.get("contact"),
                                              also_other_companies=request.POST.get("also") == "1")
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for err in errs:
                messages.error(request, err)
    else:
        messages.success(request, _("已关联联系人 %(name)s:其可登录查看并确认%(client)s的费用明细表。")
                         % {"name": link.user.display_name or link.user.username, "client": client.name})
    return redirect(f"{_base(request)}{client.pk}/#contacts")


@require_POST
@page_roles(WRITE, forbidden_to=READ)
def client_contact_remove(request, pk: int, user_id: int):
    _require(request, "write")
    client = selectors.access_client(request.user, request.tenant, pk)
    user = si_services.client_contact_remove(actor=request.user, client=client, user_id=user_id)
    messages.success(request, _("已取消 %(name)s 的关联:其不再能查看%(client)s的费用与人员。")
                     % {"name": user.display_name or user.username, "client": client.name})
    return redirect(f"{_base(request)}{client.pk}/#contacts")


@page_roles(WRITE, forbidden_to=READ)
def client_create(request):
    _require(request, "write")
    form = ClientCreateForm(request.POST if request.method == "POST" else None, cities=_cities(),
                            earners=_earners(request.tenant),
                            initial={"opened_on": timezone.localdate().isoformat(), "services": [Service.SOCIAL_INSURANCE]})
    if request.method == "POST":
        form.is_valid()
        try:
            data = services.parse_client(form.service_data())
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            if not form.errors:
                try:  # refusals found under the keys' lock (the same company twice) are the form's too
                    client = services.client_create(actor=request.user, data=data)
                except ValidationError as exc:
                    _service_errors(form, exc)
                else:
                    messages.success(request, _("已开户:%(name)s。开户人的提成将在几秒内更新。") % {"name": client.name})
                    return redirect(f"{_base(request)}{client.pk}/")
    return render(request, "clients/form.html", {"branch": request.tenant, "form": form, "title": _("新增客户(开户)")},
                  status=400 if form.errors else 200)


@page_roles(WRITE, forbidden_to=READ)
def client_edit(request, pk: int):
    _require(request, "write")
    client = selectors.access_client(request.user, request.tenant, pk)
    initial = {"name": client.name, "headcount": client.headcount, "services": client.services, "grade": client.grade,
               "contract_no": client.contract_no, "city": client.city,
               **{name: f"{getattr(client, name):.2f}" for name in FEE_FIELDS.values()}}
    form = ClientEditForm(request.POST if request.method == "POST" else None, cities=_cities(), initial=initial)
    if request.method == "POST":
        form.is_valid()
        try:
            data = services.parse_client_changes(form.service_data())
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            if not form.errors:
                try:
                    services.client_update(actor=request.user, client_id=client.pk, data=data)
                except ValidationError as exc:
                    _service_errors(form, exc)
                else:
                    messages.success(request, _("已保存客户资料。"))
                    return redirect(f"{_base(request)}{client.pk}/")
    return render(request, "clients/form.html", {
        "branch": request.tenant, "form": form, "client": client, "title": _("修改客户资料"),
        "opener": selectors.user_labels([client.opened_by_id]).get(client.opened_by_id, ""),
    }, status=400 if form.errors else 200)


@page_roles(WRITE, forbidden_to=READ)
@require_POST
def client_close(request, pk: int):
    _require(request, "write")
    client = selectors.access_client(request.user, request.tenant, pk)
    if request.POST.get("confirm") != "on":
        # Closing stops 增员 and may cost the opener a retention bonus: never one stray click.
        messages.error(request, _("请勾选“确认终止”后再提交。"))
        return redirect(f"{_base(request)}{client.pk}/")
    try:
        closed_on = services.parse_client_close(request.POST)
        services.client_close(actor=request.user, client_id=client.pk, closed_on=closed_on)
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for err in errs:
                messages.error(request, err)
    else:
        messages.success(request, _("已终止服务:%(name)s。") % {"name": client.name})
    return redirect(f"{_base(request)}{client.pk}/")
