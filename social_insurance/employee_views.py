"""参保员工 pages at /b/<code>/si/employees/: list (search by name, masked or full identity
number; client and status filters; pages; CSV/XLSX), a person's record with their monthly
lines, the 增员 and 减员 forms with the month each change lands in and its deadline, and the
import with a downloadable template. They call social_insurance.services and
social_insurance.employee_selectors, as the API does.

Who may open what is declared once, in PAGE_ROLES (BranchAccessMiddleware has already checked
login and branch membership):
- list and export: branch manager, branch staff, HQ admin — every employee; a client contact —
  the people insured through their own company, read-only;
- record (detail), 增员, 减员, import, template: branch manager, branch staff, HQ admin;
- anyone else, and a client contact on any page but the list: 404."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from branches.pages import page_roles
from branches.roles import Role, roles_in_branch
from hrsaas.exports import FORMATS, table_response
from clients.models import Client
from commissions.templatetags.commission_format import period_label
from hrsaas.core.inputs import record_id
from hrsaas.core.collation import by_pinyin

from . import employee_selectors as sel
from . import services
from .crypto import identity_hash
from .employee_forms import EmployeeAddForm, EmployeeBaseForm, EmployeeImportForm, EmployeeRemoveForm
from .engine import ITEM_LABELS

STAFF = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})
PAGE_ROLES = {"list": STAFF | {Role.CLIENT_CONTACT}, "record": STAFF, "write": STAFF}
PER_PAGE = 20
EXPORT_MAX = 50_000
# The import template: the service's Chinese headers (services.HEADER_ALIASES) and one example.
IMPORT_TEMPLATE_HEADERS = services.TEMPLATE_HEADERS
IMPORT_EXAMPLE_CLIENT = "示例客户有限公司"


def _require(request, action: str) -> frozenset[str]:
    """The one access check of these pages (404 for every refusal: a client contact learns
    nothing about records beyond their own company's list)."""
    roles = roles_in_branch(request.user, request.tenant)
    if not roles & PAGE_ROLES[action]:
        raise Http404
    return roles


def _base(request) -> str:
    return f"/b/{request.tenant.code}/si/employees/"


def _month_day(day) -> str:
    """12月5日 / December 5 (zh-hans' MONTH_DAY_FORMAT would pad the month: 02月5日)."""
    if (get_language() or "").startswith("zh"):
        return f"{day.month}月{day.day}日"
    return formats.date_format(day, "MONTH_DAY_FORMAT")


def _status_labels():
    return {"active": _("在保"), "ended": _("已减员"), "upcoming": _("待参保")}


# ---------------------------------------------------------------------------------------------
# List and export
# ---------------------------------------------------------------------------------------------
@page_roles(PAGE_ROLES["list"])
def employee_list(request):
    roles = _require(request, "list")
    staff = bool(roles & STAFF)
    number = sel.whole_identity_number(request.GET.get("q") or "")
    if number is not None:
        # A whole identity number never stays in a URL (history, logs, the language form's
        # "next"): the search continues with its keyed hash and the masked number.
        query = request.GET.copy()
        query["q"], query["idh"] = sel.engine.mask_identity(number), identity_hash(number)
        query.pop("page", None)
        url = f"{request.path}?{query.urlencode()}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    filters = sel.EmployeeFilters.from_query(request.GET)
    qs = sel.employee_list(request.user, request.tenant, filters)
    today = timezone.localdate()
    cities = sel.city_names()
    labels = _status_labels()
    if request.GET.get("format") in FORMATS:
        return _export(qs, request.GET["format"], today, cities, labels)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    people = list(page.object_list)
    for e in people:
        e.status_label = labels[sel.status_of(e, today)]
        e.city_label = cities.get(e.insured_city, e.insured_city)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    visible_clients = (Client.objects.all() if staff else
                       Client.objects.filter(pk__in=sel.client_ids_of_contact(request.user)))
    deadline = sel.deadline_of(sel.engine.period_of(today), request.tenant, today=today)
    return render(request, "social_insurance/employees.html", {
        "branch": request.tenant, "page": page, "people": people, "filters": filters, "query": query.urlencode(),
        "staff": staff, "clients": visible_clients.order_by(*by_pinyin("name")).values_list("pk", "name"),
        "statuses": list(labels.items()), "deadline": deadline,
        "sorts": [("client", _("按客户")), ("name", _("按姓名")), ("-start", _("参保日期(新→旧)")),
                  ("start", _("参保日期(旧→新)")), ("-wage", _("申报工资(高→低)")), ("wage", _("申报工资(低→高)"))],
        "deadline_text": _month_day(deadline.reconcile_due),
    })


def _export(qs, fmt, today, cities, labels):
    """The list as a file that goes back into the import: the template's columns, in its order
    and under its headers (in the reader's language; the import reads them in either), then the
    status. The identity number stays masked: to re-import, it is typed in whole again."""
    people = list(qs[:EXPORT_MAX])
    headers = [_(h) for h in IMPORT_TEMPLATE_HEADERS] + [_("状态")]
    rows = [[e.client.name, e.name, e.id_number_masked, cities.get(e.insured_city, e.insured_city),
             cities.get(e.contract_city, e.contract_city), cities.get(e.payroll_city, e.payroll_city), e.wage,
             e.housing_fund_percent, e.injury_rate, e.start_date, e.end_date, labels[sel.status_of(e, today)]]
            for e in people]
    return table_response(fmt=fmt, filename=f"insured-employees-{today:%Y%m%d}", title=_("参保员工"),
                          headers=headers, rows=rows)


# ---------------------------------------------------------------------------------------------
# A person's record
# ---------------------------------------------------------------------------------------------
@page_roles(PAGE_ROLES["record"])
def employee_detail(request, pk: int):
    _require(request, "record")
    employee = sel.access_employee(request.user, request.tenant, pk)
    today = timezone.localdate()
    cities = sel.city_names()
    months = sel.monthly_lines(employee)
    for m in months:
        for line in m.lines:
            line.kind_label = ITEM_LABELS.get(line.kind, line.get_kind_display())
    from . import dispute_selectors

    return render(request, "social_insurance/employee_detail.html", {
        "branch": request.tenant, "e": employee, "months": months,
        "disputable": bool(dispute_selectors.disputable_months(employee)),
        "disputes": list(employee.disputes.order_by("-raised_at", "-id")[:20]),
        "status_label": _status_labels()[sel.status_of(employee, today)],
        "insured_city": cities.get(employee.insured_city, employee.insured_city),
        "contract_city": cities.get(employee.contract_city, employee.contract_city),
        "payroll_city": cities.get(employee.payroll_city, employee.payroll_city),
        "landing": sel.add_landing(employee.insured_city, employee.start_date, request.tenant, employee_id=employee.pk),
        "removal": (sel.remove_landing(employee.insured_city, employee.end_date, request.tenant,
                                       employee_id=employee.pk) if employee.end_date else None),
    })


# ---------------------------------------------------------------------------------------------
# 增员 / 减员, and where a change lands
# ---------------------------------------------------------------------------------------------
def landing_text(landing: sel.Landing, refusal: str | None = None) -> dict:
    """The sentences the forms and messages show about a change's month and deadline; `refusal`:
    why a 增员 with this start would be refused (services.start_refusal), said instead of the month."""
    if refusal:
        return {"text": "", "deadline": "", "warning": refusal}
    month = period_label(landing.period)
    if landing.kind == "add":
        text = _("从 %(paid)s 起缴费,计入 %(month)s 增员名单") % {"paid": period_label(landing.paid_month), "month": month}
    else:
        text = _("缴费至 %(paid)s,计入 %(month)s 减员名单") % {"paid": period_label(landing.paid_month), "month": month}
    deadline = _("%(month)s 增减员核对截止:%(day)s") % {"month": month, "day": _month_day(landing.deadline.reconcile_due)}
    warning = ""
    filed = period_label(landing.filed_month) if landing.filed_month else ""
    if filed and landing.kind == "add":
        warning = _("%(month)s 已申报:增员列入下一个未申报月份,已申报的月份在本市补缴期限内补缴。") % {"month": filed}
    elif filed:
        warning = _("%(month)s 已申报:减员列入下一个未申报月份,已申报的月份照常缴费,不退费。") % {"month": filed}
    elif landing.deadline.status == "reconciled":
        warning = _("%(month)s 的增减员已核对,请重新计算并核对。") % {"month": month}
    elif landing.deadline.overdue:
        warning = _("已过 %(month)s 的增减员核对截止日,请尽快核对。") % {"month": month}
    return {"text": text, "deadline": deadline, "warning": warning}


def _parse_day(value):
    from hrsaas.dates import parse_day

    try:
        return parse_day(sel.engine.halfwidth(value or ""))
    except ValueError:
        return None


@page_roles(PAGE_ROLES["write"])
def lands_in(request):
    """HTMX: the sentence under a 增员/减员 form as its date or city changes."""
    _require(request, "write")
    landing = None
    if "employee" in request.GET:
        employee_id = record_id(request.GET["employee"])
        if employee_id is None:
            raise Http404
        employee = sel.access_employee(request.user, request.tenant, employee_id)
        day = _parse_day(request.GET.get("end_date"))
        if day is not None:
            landing = sel.remove_landing(employee.insured_city, day, request.tenant)
    else:
        city = request.GET.get("insured_city") or ""
        day = _parse_day(request.GET.get("start_date"))
        if day is not None and city in sel.city_names():
            said = landing_text(sel.add_landing(city, day, request.tenant), services.start_refusal(city, day))
            return render(request, "social_insurance/_lands_in.html", {"landing": said})
    return render(request, "social_insurance/_lands_in.html", {"landing": landing_text(landing) if landing else None})


def _clients_to_add():
    return list(Client.objects.filter(closed_on__isnull=True).order_by(*by_pinyin("name")).values_list("pk", "name"))


def _with_landing_attrs(form, url: str, include: str) -> None:
    for name in include.split(","):
        field = form.fields[name.strip()]
        field.widget.attrs.update({"hx-get": url, "hx-trigger": "change", "hx-target": "#lands-in",
                                   "hx-include": ",".join(f"[name={n.strip()}]" for n in include.split(","))})


@page_roles(PAGE_ROLES["write"])
def employee_add(request):
    """增员 (staff): the service validates; on success the record, with where the change lands."""
    _require(request, "write")
    cities = sorted(sel.city_names().items(), key=lambda kv: kv[0])
    initial = {"start_date": timezone.localdate().isoformat(), "client": request.GET.get("client", "")}
    if request.tenant.city in dict(cities):
        initial["insured_city"] = request.tenant.city
    form = EmployeeAddForm(request.POST if request.method == "POST" else None, clients=_clients_to_add(),
                           cities=cities, initial=initial)
    _with_landing_attrs(form, f"{_base(request)}lands-in/", "start_date,insured_city")
    if request.method == "POST":
        form.is_valid()
        data = form.service_data()
        try:
            employee = services.employee_create(actor=request.user, data=services.EmployeeInput(
                **{k: data.get(k) or None for k in services.IMPORT_COLUMNS if k != "end_date"}))
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            said = landing_text(sel.add_landing(employee.insured_city, employee.start_date, request.tenant))
            messages.success(request, _("已增员:%(name)s,%(text)s(%(deadline)s)。") % {
                "name": employee.name, "text": said["text"], "deadline": said["deadline"]})
            late = services.late_start_notice(employee)  # which filed months are back-paid, which not
            if late or said["warning"]:
                messages.warning(request, late or said["warning"])
            if getattr(employee, "insured_elsewhere", False):
                messages.warning(request, services.INSURED_ELSEWHERE_MESSAGE)
            no_policy = services.no_policy_notice(employee)
            if no_policy:
                messages.warning(request, no_policy)
            return redirect(f"{_base(request)}{employee.pk}/")
    today = timezone.localdate()
    current = sel.deadline_of(sel.engine.period_of(today), request.tenant, today=today)
    landing = None
    start, city = _parse_day(form["start_date"].value()), form["insured_city"].value()
    # Where the start lands — unless the start itself was refused: the refusal is said under the
    # field, once (the panel said it again in bold).
    if start is not None and city in dict(cities) and "start_date" not in form.errors:
        landing = landing_text(sel.add_landing(city, start, request.tenant), services.start_refusal(city, start))
    return render(request, "social_insurance/employee_form.html", {
        "branch": request.tenant, "form": form, "title": _("增员"), "landing": landing, "kind": "add",
        "deadline_text": _month_day(current.reconcile_due), "deadline": current,
        "cutoffs": _cutoffs(cities),
    }, status=400 if form.errors else 200)


def _cutoffs(cities) -> list[str]:
    """Cities with an add cut-off day, as sentences (北京:每月 15 日后开始参保的,次月增员)."""
    from social_insurance.policies.selectors import city_settings

    out = []
    for code, name in cities:
        day = city_settings(code).add_cutoff_day
        if day:
            out.append(_("%(city)s:每月 %(day)s 日之后开始参保的,次月增员") % {"city": name, "day": day})
    return out


@page_roles(PAGE_ROLES["write"])
def employee_remove(request, pk: int):
    """减员 (staff): the leaving date; the page says which month's list carries it."""
    _require(request, "write")
    employee = sel.access_employee(request.user, request.tenant, pk)
    form = EmployeeRemoveForm(request.POST if request.method == "POST" else None,
                              initial={"end_date": timezone.localdate().isoformat()})
    _with_landing_attrs(form, f"{_base(request)}lands-in/?employee={employee.pk}", "end_date")
    if request.method == "POST":
        form.is_valid()
        try:
            services.employee_end(actor=request.user, employee_id=employee.pk, end_date=form.service_data()["end_date"])
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            employee.refresh_from_db()
            said = landing_text(sel.remove_landing(employee.insured_city, employee.end_date, request.tenant))
            messages.success(request, _("已减员:%(name)s,%(text)s(%(deadline)s)。") % {
                "name": employee.name, "text": said["text"], "deadline": said["deadline"]})
            if said["warning"]:
                messages.warning(request, said["warning"])
            return redirect(f"{_base(request)}{employee.pk}/")
    today = timezone.localdate()
    current = sel.deadline_of(sel.engine.period_of(today), request.tenant, today=today)
    landing = None
    end = _parse_day(form["end_date"].value())
    if end is not None and employee.end_date is None:
        landing = landing_text(sel.remove_landing(employee.insured_city, end, request.tenant))
    return render(request, "social_insurance/employee_form.html", {
        "branch": request.tenant, "form": form, "title": _("减员"), "employee": employee, "landing": landing,
        "kind": "remove", "deadline_text": _month_day(current.reconcile_due), "deadline": current,
    }, status=400 if form.errors else 200)


@page_roles(PAGE_ROLES["write"])
def employee_base(request, pk: int):
    """调基 (staff): a new declared wage and housing-fund rate, counted from the first month not
    yet filed; the page names that month and sends corrections of filed months to a dispute."""
    _require(request, "write")
    employee = sel.access_employee(request.user, request.tenant, pk)
    if employee.end_date is not None:
        raise Http404
    initial = {"wage": f"{employee.wage:.2f}",
               "housing_fund_percent": f"{employee.housing_fund_percent:.2f}" if employee.housing_fund_percent is not None else ""}
    form = EmployeeBaseForm(request.POST if request.method == "POST" else None, initial=initial)
    month = services.first_open_month(employee)
    if request.method == "POST":
        form.is_valid()
        data = form.service_data()
        try:
            services.employee_base_change(actor=request.user, employee_id=employee.pk, wage=data["wage"],
                                          housing_fund_percent=data["housing_fund_percent"])
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已调基:%(name)s 的申报工资自 %(month)s 起按新数计算。") % {
                "name": employee.name, "month": period_label(month)})
            return redirect(f"{_base(request)}{employee.pk}/")
    return render(request, "social_insurance/employee_base.html", {
        "branch": request.tenant, "form": form, "employee": employee, "month": month,
    }, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------
# Import and its template
# ---------------------------------------------------------------------------------------------
@page_roles(PAGE_ROLES["write"])
def employee_import(request):
    """All rows or none (services.employees_import); every bad row listed with its column."""
    _require(request, "write")
    form = EmployeeImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = services.employees_import(actor=request.user, filename=upload.name, content=upload)
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                for err in errs:
                    form.add_error("file", err)
        else:
            if report.ok:
                messages.success(request, _("已导入 %(n)s 名参保员工(申报工资合计 %(total)s 元)。") % {
                    "n": report.created, "total": f"{report.wage_total:,.2f}"})
                for warning in report.warnings[:20]:
                    messages.warning(request, _("第 %(row)s 行:%(message)s") % warning)
                if len(report.warnings) > 20:
                    messages.warning(request, _("另有 %(n)s 行同样需要核实。") % {"n": len(report.warnings) - 20})
                return redirect(_base(request))
    columns = {services.HEADER_ALIASES[h]: h for h in IMPORT_TEMPLATE_HEADERS} | {"file": _("文件")}
    errors = [dict(e, column=columns.get(e["field"], e["field"])) for e in (report.errors if report else [])]
    return render(request, "social_insurance/employee_import.html", {
        "branch": request.tenant, "form": form, "report": report, "errors": errors,
        "headers": IMPORT_TEMPLATE_HEADERS,
    }, status=400 if form.errors or (report and not report.ok) else 200)


@page_roles(PAGE_ROLES["write"])
def import_template(request):
    """The import template (XLSX or CSV): Chinese headers and one example row to overwrite."""
    _require(request, "write")
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404
    city = sel.city_names().get(request.tenant.city or "", "北京")
    first17 = "11010519900101001"  # an example number that passes the check digit
    # An example to overwrite, never one of the branch's clients: a real name in the template
    # would sit in the file as if it were data (and beside its near-namesakes in the pickers).
    rows = [[IMPORT_EXAMPLE_CLIENT, "张三", first17 + sel.engine.identity_check_char(first17), city, city, city,
             "8000.00", "", "", timezone.localdate(), ""]]
    return table_response(fmt=fmt, filename="insured-employees-template", title=_("参保员工导入模板"),
                          headers=IMPORT_TEMPLATE_HEADERS, rows=rows)
