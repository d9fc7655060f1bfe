"""Server-rendered pages for 社保/公积金; they call the same services and selectors as the API."""
from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.db.models import Count
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.navigation import is_outsider
from branches.pages import page_roles
from branches.roles import Role, hq_roles_of, is_hq_admin, roles_in_branch
from clients.models import Client
from hrsaas import exports
from hrsaas.core.formatting import file_forms, format_period
from hrsaas.core.period import Period
from hrsaas.core.labels import label

from . import dispute_selectors, employee_selectors, exceptions, selectors, services
from .display import line_explanation, side_working
from .engine import ITEM_LABELS, PolicyError, add_months, first_insured_month, month_start, period_of, removal_month
from .forms import CitySettingForm
from .money_selectors import with_money
from .models import InsuredEmployee, PayrollEntry, StaffChange, StatementStatus
from .policies import settings_api
from .policies.models import Confidence
from .policies.selectors import city_settings, city_table
from hrsaas.core.inputs import record_id
from hrsaas.core.collation import by_pinyin


def _period(request) -> str:
    period = request.GET.get("period") or request.POST.get("period") or period_of(timezone.localdate())
    try:
        month_start(period)
    except PolicyError:
        raise Http404
    return period


def _require_staff(request):
    if not selectors.is_branch_staff(request.user, request.tenant):
        raise Http404


def _late_marked(changes, period: str) -> list:
    """增减员 rows, those recorded after the month that should have listed them was filed marked:
    an 增员 with the month it is back-paid from, a 减员 as reported late."""
    rows = list(changes)
    rules: dict = {}
    for change in rows:
        change.back_paid_from, change.reported_late = None, False
        city = change.employee.insured_city
        if city not in rules:
            rules[city] = city_settings(city)
        if change.kind == "add":
            first = first_insured_month(change.effective_date, rules[city].add_cutoff_day)
            change.back_paid_from = first if first < period else None
        else:
            change.reported_late = removal_month(change.effective_date,
                                                 rules[city].remove_covers_leaving_month) < period
    return rows


# Up to this many insured people the exception form offers them in a list; a bigger branch
# names the person by their identity number instead (a list would leave the rest out).
EXCEPTION_CHOICES = 1000


@page_roles(R.OFFICE | {R.Role.SPECIALIST})
def cycle_board(request):
    """月度流程看板: 增减员, 计算, 核对, 申报, checks, statements, exceptions."""
    _require_staff(request)
    period = _period(request)
    now = timezone.now()
    board = selectors.cycle_board(period, now=now)
    # The office runs the month (compute, reconcile, file, payroll sheets) and reads the people's
    # wages in its checks; a specialist sees the month's state and works its exceptions.
    office = selectors.reads_insured_people(request.user, request.tenant)
    ctx = {
        "branch": request.tenant, "period": period, "board": board, "office": office,
        "prev": add_months(period, -1), "next": add_months(period, 1),
        "changes": _late_marked(StaffChange.objects.filter(period=period).select_related("employee", "employee__client"),
                                period) if office else [],
        # The cross-branch duplicate as it stands now, not as this branch's last compute saw it.
        "findings": selectors.month_findings(period, request.tenant.pk) if office else [],
        "clients": Client.objects.filter(closed_on__isnull=True).order_by(*by_pinyin("name")) if office else [],
        "payroll_counts": PayrollEntry.objects.filter(period=period).values("client__name").annotate(n=Count("id"))
                          .order_by(*by_pinyin("client__name")) if office else [],
        # Billed = contributions + charges (service fee, late fee), as the statement and the
        # client's page say it: the board once showed the contributions alone as 合计.
        "statements": with_money(selectors.statements_visible_to(request.user, request.tenant, period)),
        "exceptions": [(e, selectors.exception_overdue(e, now)) for e in selectors.exceptions_visible_to(
            request.user, request.tenant, status="unresolved")[:50]],
        "exception_kinds": exceptions.EXCEPTION_KINDS,
        # The form's choice of employee (name, masked ID, client): only the people this user may
        # see (none for a specialist).
        "exception_employees": employee_selectors.employees_for_pages(request.user, request.tenant)
                               .order_by(*by_pinyin("name", "id"))[:EXCEPTION_CHOICES],
        "exception_choices": EXCEPTION_CHOICES,
        "employee_count": InsuredEmployee.objects.count(),
        "receipt_corrections": selectors.receipt_corrections(board.cycle) if office else [],
        "filing_cautions": (selectors.filing_cautions(period)
                            if office and board.cycle and board.cycle.status == "reconciled" else []),
        "cities_missing_policy": [label("city", c) or c for c in selectors.cities_missing_policy(period)],
        "open_disputes": dispute_selectors.open_count(request.user, request.tenant) if office else 0,
    }
    return render(request, "social_insurance/board.html", ctx)


@require_POST
@page_roles(R.OFFICE)
def cycle_action(request, action: str):
    _require_staff(request)
    if not request.POST.get("period"):
        # The board's forms always name their month: a post without one must not act on this
        # month by default (a receipt correction landed on the current month).
        messages.error(request, _("请从社保月度页面选择月份后再操作。"))
        return redirect(f"/b/{request.tenant.code}/si/")
    period = _period(request)
    try:
        if action == "compute":
            # The page computes in the web request: the same trigger rate as the API's.
            from branches.throttles import JobTriggerThrottle

            throttle = JobTriggerThrottle()
            if not throttle.allow_request(request, None):
                messages.error(request, _("请求过于频繁:请 %(s)d 秒后再计算。") % {"s": int(throttle.wait() or 60)})
                return redirect(f"/b/{request.tenant.code}/si/?period={period}")
            services.month_compute(actor=request.user, period=period)
            messages.success(request, _("已计算 %(p)s。") % {"p": format_period(period)})
        elif action == "reconcile":
            services.month_reconcile(actor=request.user, period=period)
            messages.success(request, _("增减员已核对。"))
        elif action == "file":
            if not (roles_in_branch(request.user, request.tenant) & {Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN}):
                raise Http404
            if request.POST.get("confirm") != "1":
                # Filing freezes the month: asked once, in words, before it is done.
                raise ValidationError({"confirm": [_("请勾选确认:申报后本月的人员和金额不能再修改。")]})
            services.month_file(actor=request.user, period=period, receipt_no=request.POST.get("receipt_no", ""),
                                receipt_note=request.POST.get("receipt_note", ""))
            messages.success(request, _("已记录申报回执。"))
        elif action == "receipt":
            if not (roles_in_branch(request.user, request.tenant) & {Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN}):
                raise Http404
            services.month_receipt_correct(actor=request.user, period=period,
                                           receipt_no=request.POST.get("receipt_no", ""),
                                           reason=request.POST.get("reason", ""))
            messages.success(request, _("已更正申报回执号。"))
        else:
            raise Http404
    except ValidationError as exc:
        _messages_from(request, exc)
    return redirect(f"/b/{request.tenant.code}/si/?period={period}")


def _messages_from(request, exc: ValidationError) -> None:
    for errs in exc.message_dict.values():
        for err in errs:
            messages.error(request, err)


def _board_url(request, period: str, anchor: str = "") -> str:
    return f"/b/{request.tenant.code}/si/?period={period}{anchor}"


def _posted_board_period(request) -> str:
    """The month of the board a form was posted from (the current month if it is not one)."""
    period = request.POST.get("board_period") or ""
    try:
        month_start(period)
    except PolicyError:
        return period_of(timezone.localdate())
    return period


@require_POST
@page_roles(R.OFFICE | {R.Role.SPECIALIST})
def exception_create(request):
    """登记异常 from the board: errors come back as messages, nothing is saved."""
    _require_staff(request)
    period = _posted_board_period(request)
    employee = request.POST.get("employee") or None
    number = (request.POST.get("employee_id_number") or "").strip()
    try:
        if employee is None and number:
            found = employee_selectors.by_identity_number(request.user, request.tenant, number)
            if found is None:
                raise ValidationError({"employee": [_("未找到该身份证号的参保员工。")]})
            employee = found.pk
        exc = exceptions.exception_log(
            actor=request.user, period=request.POST.get("period", ""), description=request.POST.get("description", ""),
            employee=employee, kind=request.POST.get("kind") or None)
    except ValidationError as err:
        _messages_from(request, err)
        return redirect(_board_url(request, period, "#exceptions"))
    messages.success(request, _("已登记异常 #%(id)d,请在 1 小时内响应、24 小时内解决。") % {"id": exc.pk})
    return redirect(_board_url(request, period, f"#exception-{exc.pk}"))


@require_POST
@page_roles(R.OFFICE | {R.Role.SPECIALIST})
def exception_action(request, pk: int, action: str):
    """响应 / 解决 an exception from the board."""
    _require_staff(request)
    period = _posted_board_period(request)
    try:
        if action == "respond":
            exceptions.exception_respond(actor=request.user, exception_id=pk)
            messages.success(request, _("异常 #%(id)d 已响应。") % {"id": pk})
        elif action == "resolve":
            exceptions.exception_resolve(actor=request.user, exception_id=pk, note=request.POST.get("note", ""))
            messages.success(request, _("异常 #%(id)d 已解决。") % {"id": pk})
        else:
            raise Http404
    except ValidationError as err:
        _messages_from(request, err)
    return redirect(_board_url(request, period, f"#exception-{pk}"))


@page_roles(R.EVERY_BRANCH_ROLE)
def statement_detail(request, pk: int):
    """费用明细表 (printable); `?format=xlsx` downloads it; the client's contact answers here."""
    statement = selectors.access_statement(request.user, request.tenant, pk)
    lines = selectors.with_fixed_amounts(list(selectors.statement_lines(statement)))
    if request.method == "POST":
        try:
            answered = services.statement_respond(actor=request.user, statement_id=pk,
                                                  decision=request.POST.get("decision", ""), note=request.POST.get("note", ""))
            words = {"p": format_period(answered.period)}
            messages.success(request, _("已确认%(p)s费用明细表。") % words if answered.status == StatementStatus.CONFIRMED
                             else _("已对%(p)s费用明细表提出异议,我们会尽快核实并答复。") % words)
        except ValidationError as exc:
            _messages_from(request, exc)
        return redirect(request.path)
    if request.GET.get("format") == "xlsx":
        return _statement_xlsx(statement, lines, for_client=is_outsider(roles_in_branch(request.user, request.tenant)))
    return _statement_page(request, statement, lines)


def _statement_page(request, statement, lines, *, reply_text: str = "", status: int = 200):
    from .money_views import statement_money_context

    for line in lines:  # base × rate + fixed = amount, under each amount
        line.employer_working = side_working(line.base, line.employer_percent, line.employer_fixed)
        line.employee_working = side_working(line.base, line.employee_percent, line.employee_fixed)
    roles = roles_in_branch(request.user, request.tenant)
    can_respond = Role.CLIENT_CONTACT in roles and statement.status == "issued"
    can_reply = bool(roles & R.OFFICE) and statement.awaits_answer
    return render(request, "social_insurance/statement.html", {
        "statement": statement, "lines": lines, "labels": ITEM_LABELS, "can_respond": can_respond,
        "can_reply": can_reply, "reply_text": reply_text,
        "branch": request.tenant, **statement_money_context(request, statement),
    }, status=status)


@require_POST
@page_roles(R.OFFICE)
def statement_reply(request, pk: int):
    """The office answers a client's dispute and sends the statement back for confirmation."""
    statement = selectors.access_statement(request.user, request.tenant, pk)
    note = request.POST.get("note", "")
    try:
        services.statement_reply(actor=request.user, statement_id=statement.pk, note=note)
    except ValidationError as exc:
        # The page again with what was typed, and why it was not sent.
        _messages_from(request, exc)
        return _statement_page(request, statement, selectors.with_fixed_amounts(list(selectors.statement_lines(statement))),
                               reply_text=note,
                               status=400)
    messages.success(request, _("已答复%(p)s费用明细表,已请客户再次确认。") % {"p": format_period(statement.period)})
    return redirect(f"/b/{request.tenant.code}/si/statements/{pk}/")


def _statement_xlsx(statement, lines, *, for_client: bool = False) -> HttpResponse:
    # Employee and client names are typed by people we do not control: the one export writer
    # escapes them (hrsaas/exports.py), so "=HYPERLINK(…)" arrives as text.
    from urllib.parse import quote


    title = _("费用明细表")
    sheet = exports.Sheet(statement.period)
    sheet.append([f"{title} {statement.client.name} {format_period(statement.period)}"])
    # The fixed amounts (Beijing's 3.00 大额医疗 …) and each line's arithmetic after the columns
    # integrators already read: base × rate + fixed = amount adds up on every line.
    sheet.append([_("姓名"), _("身份证号"), _("险种"), _("类型"), _("所属月份"), _("缴费基数"), _("单位比例%"),
                  _("个人比例%"), _("单位金额"), _("个人金额"), _("单位固定金额"), _("个人固定金额"), _("说明")])
    for l in lines:
        sheet.append([l.employee.name, l.employee.id_number_masked, str(ITEM_LABELS[l.kind]), l.get_source_display(),
                      Period.parse(l.for_period), l.base, l.employer_percent, l.employee_percent, l.employer_amount,
                      l.employee_amount, l.employer_fixed, l.employee_fixed, line_explanation(l)])
    sheet.append([_("合计"), "", "", "", "", "", "", "", statement.employer_total, statement.employee_total])
    # What the client pays besides the contributions (服务费, 滞纳金), then what is due, paid and
    # owed: the file says what the page says, so the amount a client pays from it is the right one.
    from .selectors import statement_money

    money = statement_money(statement)
    lines_end = sheet.ws.max_row
    # The summary in a block of its own (label, amount, explanation) after a blank row: in the
    # amount columns it would be summed with the lines. (Not "总计": charges are billed on top.)
    sheet.append([])
    sheet.append([_("费用汇总"), _("金额(元)"), _("说明")])
    sheet.append([_("社保公积金合计(单位+个人)"), statement.total])
    for charge in statement.charges.order_by("kind", "service"):
        with file_forms():  # a late fee's deadline and days as the file writes dates
            words = charge.explanation_text
        sheet.append([charge.get_kind_display(), charge.amount, words])
    paid = _("已付(元)") if for_client else _("已收(元)")  # the client pays; the office receives
    for words, amount in ((_("应付合计(元)"), money.due), (paid, money.paid), (_("未付(元)"), money.outstanding)):
        sheet.append([words, amount])
    for row in sheet.ws.iter_rows(min_row=3, max_row=lines_end, min_col=6, max_col=12):
        for cell in row:  # money with separators; the rates as percents with two decimals
            cell.number_format = "0.00" if cell.column in (7, 8) else "#,##0.00"
    for (cell,) in sheet.ws.iter_rows(min_row=lines_end + 3, min_col=2, max_col=2):
        cell.number_format = "#,##0.00"
    resp = HttpResponse(sheet.bytes(), content_type=exports.XLSX_CONTENT_TYPE)
    # Named by client and month (the ASCII name for every browser, the readable one for the rest).
    name = f"{title}-{statement.client.name}-{statement.period}.xlsx"
    resp["Content-Disposition"] = (f'attachment; filename="statement-{statement.period}.xlsx"; '
                                   f"filename*=UTF-8''{quote(name)}")
    return resp


def _require_hq(request) -> None:
    if not hq_roles_of(request.user):
        raise Http404


def _policy_year(request) -> int:
    """The policy year asked for (`?year=2026`), else the current year in Asia/Shanghai."""
    raw = (request.GET.get("year") or "").strip()
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return timezone.localdate().year


@login_required
@page_roles(R.HQ_ANY)
def hq_policies(request):
    """HQ 社保政策: filter by city and policy year (default: this year, every city), a compact card
    per city — bases, each item's employer/employee rate, rounding and confidence in words,
    sources — and a page per city with every version (publish and 沿用 there).

    POSTs (publish / extend) are still accepted here for the forms and scripts that used this
    address; they are handled exactly as on the city page."""
    from .policies.selectors import policy_overview

    _require_hq(request)
    if request.method == "POST":
        return _policy_post(request, None)
    year = _policy_year(request)
    city = request.GET.get("city") or ""
    cards, years, cities = policy_overview(year=year, city=city or None)
    if city and not cards:
        raise Http404
    return render(request, "social_insurance/hq_policies.html", {
        "cards": cards, "years": years, "cities": cities, "selected": {"year": year, "city": city},
        "low": Confidence.LOW, "today": timezone.localdate(),
    })


@page_roles(R.HQ_ANY)
@login_required
def hq_policy_city(request, city: str):
    """One city: every version (newest first) with its items, rounding, sources and notes; HQ
    admins publish the next version (prefilled from the latest) or keep one in force (沿用)."""
    _require_hq(request)
    if request.method == "POST":
        return _policy_post(request, city)
    return _policy_city_page(request, city, form=None, errors={})


def _policy_city_page(request, city: str, *, form: dict | None, errors: dict):
    from .policies.models import CityPolicy
    from .policies.selectors import item_views, publish_rows
    from .engine import rounding_words

    versions = list(CityPolicy.objects.filter(city=city).prefetch_related("items").order_by("-effective_from"))
    if not versions:
        raise Http404
    latest = versions[0]
    can_edit = is_hq_admin(request.user)
    if form is None:
        form = {"year": "", "effective_from": "", "confidence": latest.confidence, "sources": "",
                "item_rows": publish_rows(latest)}
    elif "item_rows" not in form:  # a script's JSON was refused: the form as the latest version
        form = {**form, "item_rows": publish_rows(latest)}
    # A 险种's messages ("养老保险:…") shown in its own box too, next to the figures they are about.
    item_errors = errors.get("items", [])
    form = {**form, "item_rows": [{**row, "errors": [e for e in item_errors if e.startswith((row["label"] + ":", row["label"] + ": "))]}
                                  for row in form["item_rows"]]}
    rows = [{"policy": p, "items": items, "has_item_notes": any(i.note for i in items),
             "rounding_social": rounding_words(p.rounding_social),
             "rounding_housing_fund": rounding_words(p.rounding_housing_fund)}
            for p, items in ((p, item_views(p)) for p in versions)]
    return render(request, "social_insurance/hq_policy_city.html", {
        "city": city, "name": latest.name, "rows": rows, "latest": latest, "low": Confidence.LOW,
        "can_edit": can_edit, "form": form, "errors": errors, "confidences": Confidence.choices,
        # not `errors.items` in the template: without an "items" key that is the dict's items()
        "item_errors": item_errors,
    }, status=400 if errors else 200)


def _policy_post(request, city: str | None):
    """Publish a city's next version or keep one in force (沿用); HQ admins only."""
    import json

    from .policies import services as policy_services
    from .policies.models import CityPolicy
    from .policies.selectors import items_from_publish_form as publish_items_from_form, publish_rows

    if not is_hq_admin(request.user):
        raise PermissionDenied
    form = {"year": request.POST.get("year", ""), "effective_from": request.POST.get("effective_from", ""),
            "confidence": request.POST.get("confidence", "medium"), "sources": request.POST.get("sources", ""),
            "items": request.POST.get("items", "")}
    if request.POST.get("action") == "extend":
        policy = CityPolicy.objects.filter(pk=record_id(request.POST.get("policy")) or 0,
                                           **({"city": city} if city else {})).first()
        if policy is None:
            raise Http404
        try:
            policy = policy_services.policy_extend(actor=request.user, policy_id=policy.pk,
                                                   effective_to=request.POST.get("effective_to") or None)
        except ValidationError as exc:
            for errs in exc.message_dict.values():
                for err in errs:
                    messages.error(request, err)
        else:
            messages.success(request, _("%(p)s 已沿用至 %(to)s。") % {
                "p": policy, "to": policy.effective_to or _("新版本发布")})
        return redirect("si-hq-policy-city", city=policy.city)
    city = city or request.POST.get("city", "")
    latest = CityPolicy.objects.filter(city=city).prefetch_related("items").order_by("-effective_from").first()
    if latest is None:
        raise Http404
    try:
        if "items" in request.POST:  # scripts posting the data file's JSON, as before the form had fields
            try:
                items = json.loads(form["items"] or "{}")
            except ValueError:
                raise ValidationError({"items": [_("险种须为 JSON 对象(格式同数据文件)。")]}) from None
        else:  # the page's form: one input per 险种 and figure, shaped as the latest version
            items, form["item_rows"] = publish_items_from_form(request.POST, publish_rows(latest))
        policy = policy_services.policy_publish(
            actor=request.user, city=city, year_label=form["year"], effective_from=form["effective_from"],
            items=items, sources=[s.strip() for s in form["sources"].splitlines() if s.strip()],
            confidence=form["confidence"])
    except ValidationError as exc:
        return _policy_city_page(request, city, form=form, errors=exc.message_dict)
    messages.success(request, _("已发布 %(p)s;已申报月份的补差将计入各分支机构下一个未申报月份。") % {"p": policy})
    return redirect("si-hq-policy-city", city=city)


@login_required
@page_roles(R.HQ_ANY)
def hq_duplicates(request):
    """HQ 重复参保报告: masked ids, branch codes and counts only."""
    if not hq_roles_of(request.user):
        raise Http404
    period = _period(request)
    return render(request, "social_insurance/hq_duplicates.html", {
        "period": period, "rows": selectors.duplicate_report(period),
        "prev": add_months(period, -1), "next": add_months(period, 1),
    })


def _errors_into(form, exc: ValidationError) -> None:
    for field, errs in exc.message_dict.items():
        for err in errs:
            form.add_error(field if field in form.fields else None, err)


@login_required
@page_roles(R.HQ_ANY)
def hq_cities(request):
    """HQ 城市运营设置: every city's settings (defaults until set); the HQ admin changes them,
    one form per city, with the errors next to the fields. HQ finance reads."""
    if not hq_roles_of(request.user):
        raise Http404
    can_edit = is_hq_admin(request.user)
    rows = city_table()
    bound = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        row = next((r for r in rows if r.city == request.POST.get("city")), None)
        if row is None:
            raise Http404
        bound = CitySettingForm(request.POST, prefix=row.city)
        if bound.is_valid():
            try:
                settings_api.city_setting_change(actor=request.user, city=row.city, data=bound.cleaned_data)
            except ValidationError as exc:
                _errors_into(bound, exc)
            else:
                messages.success(request, _("已保存%(name)s的设置。") % {"name": label("city", row.city) or row.name})
                return redirect(f"/si/cities/#city-{row.city}")
    entries = []
    for row in rows:
        form = None
        if can_edit:
            form = bound if bound is not None and bound.prefix == row.city else CitySettingForm(
                prefix=row.city, initial=dataclasses.asdict(row.rules))
        entries.append((row, form))
    return render(request, "social_insurance/hq_cities.html", {"entries": entries, "can_edit": can_edit},
                  status=400 if bound is not None else 200)


@require_POST
@page_roles(R.OFFICE)
def payroll_upload(request):
    """客户工资表 upload from the board: all rows or none; the row errors are listed."""
    _require_staff(request)
    period = _period(request)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": [_("请选择文件。")]})
        # Size, rows and columns are capped by the one upload reader (hrsaas/uploads.py).
        report = services.payroll_import(actor=request.user, period=period, client_id=request.POST.get("client"),
                                         filename=upload.name, content=upload)
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        if report.ok:
            messages.success(request, _("已导入工资表 %(n)s 人,并重新比对。") % {"n": report.created})
        else:
            messages.error(request, _("工资表有 %(n)s 处错误,未导入:") % {"n": len(report.errors)})
            for err in report.errors[:20]:
                messages.error(request, _("第 %(row)s 行 %(field)s:%(message)s") % err)
    return redirect(f"/b/{request.tenant.code}/si/?period={period}")


# ---------------------------------------------------------------------------------------------
# The month's 增减员 list as a file (CSV/XLSX), to key into the social-security bureau's system
# ---------------------------------------------------------------------------------------------
@page_roles(R.OFFICE)
def changes_export(request):
    """`?period=YYYY-MM&format=csv|xlsx`: the board's 增减员 rows, one per change, in the readers'
    words. The identity number is masked, as in the 参保员工 export (the whole number is never
    written to a file); 缴费基数 is the person's pension base in the month (for a 减员 not charged
    that month, the base of their last month charged, a month back-paid included)."""
    from hrsaas.exports import FORMATS, table_response

    _require_staff(request)
    if not selectors.reads_insured_people(request.user, request.tenant):
        raise Http404
    fmt = request.GET.get("format") or "xlsx"
    if fmt not in FORMATS:
        raise Http404
    period = _period(request)
    rows = _late_marked(StaffChange.objects.filter(period=period).select_related("employee", "employee__client")
                        .order_by("kind", *by_pinyin("employee__client__name", "employee__name", "employee_id")),
                        period)
    bases = _pension_bases([ch.employee_id for ch in rows], period)
    cities = employee_selectors.city_names()
    headers = [_("类型"), _("姓名"), _("身份证号"), _("客户"), _("参保城市"), _("缴费基数"), _("生效月份"),
               _("参保开始日期"), _("离职日期"), _("备注")]
    out = []
    for ch in rows:
        e = ch.employee
        rules = city_settings(e.insured_city)
        if ch.kind == "add":
            effective = first_insured_month(ch.effective_date, rules.add_cutoff_day)
            note = (_("补缴自%(month)s") % {"month": format_period(ch.back_paid_from)}) if ch.back_paid_from else ""
        else:
            effective = removal_month(ch.effective_date, rules.remove_covers_leaving_month)
            note = _("补报,已申报月份不退费") if ch.reported_late else ""
        out.append([ch.get_kind_display(), e.name, e.id_number_masked, e.client.name,
                    cities.get(e.insured_city, e.insured_city), bases.get(e.pk), Period.parse(effective),
                    ch.effective_date if ch.kind == "add" else None, ch.effective_date if ch.kind != "add" else None,
                    note])
    title = _("增减员名单%(month)s") % {"month": format_period(period)}
    return table_response(fmt=fmt, filename=f"si-changes-{period}", title=title, headers=headers, rows=out)


def _pension_bases(employee_ids: list[int], period: str) -> dict:
    """Each person's pension base of `period`, else of their latest month charged before it. A
    month is charged by its regular line or, for a person entered after it was filed (增员补缴),
    by the 补缴 line of a later month that pays for it: someone who joined and left before any
    month of theirs was charged regularly has no regular line at all, and their base is the one
    they were back-paid on. (A dispute's 补缴/退费 corrects a line, and is not a month's base.)"""
    from django.db.models import Q

    from .models import ContributionLine, LineSource

    charged = Q(source=LineSource.REGULAR) | Q(source=LineSource.BACK_PAY, corrects__isnull=True,
                                                 dispute__isnull=True)
    bases: dict = {}
    for employee_id, base in (ContributionLine.objects.filter(
            charged, employee_id__in=employee_ids, kind="pension", period__lte=period, for_period__lte=period)
            .order_by("for_period", "period").values_list("employee_id", "base")):
        bases[employee_id] = base  # ordered by the month paid for: the latest wins
    return bases
