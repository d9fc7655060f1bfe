"""History import and parallel-run pages (/b/<code>/history/…): upload → column mapping → the
three reports → accept; the parallel run per month and HQ's sign-off. They call the same
services and selectors as the API."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.pages import page_roles
from branches.roles import Role, roles_in_branch
from commissions.hq.models import RuleVersion
from hrsaas import exports
from hrsaas.core.formatting import format_date
from hrsaas.core.inputs import errors_to_form
from hrsaas.core.money import decimal_from_text
from hrsaas.core.period import Period
from hrsaas.core.labels import COMPONENTS as COMPONENT_WORDS

from . import selectors, services
from .engine import CHECK_LABELS, COMPARE, FIELD_LABELS, FIELDS, FORMAT, LOGIC, REQUIRED_FIELDS
from .forms import SignOffForm, UploadForm
from .models import HistoryImport
from .selectors import READERS, SIGNERS, WRITERS

SHOWN_ISSUES = 500  # per check on the page; the download has every one


def _may(request, roles) -> bool:
    return bool(roles_in_branch(request.user, request.tenant) & (roles | {Role.HQ_ADMIN}))


@page_roles({"GET": READERS, "POST": WRITERS})
def home(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = services.import_upload(actor=request.user, upload=form.cleaned_data["file"],
                                         kind=form.cleaned_data["kind"], period=form.cleaned_data["period"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return redirect("history-mapping", imp.id)
    return render(request, "history/home.html", {
        "form": form, "imports": selectors.imports_list()[:100], "may_write": _may(request, WRITERS)})


def _rule_choices() -> list[dict]:
    out = []
    for component in services.RULE_COMPONENTS:
        versions = RuleVersion.objects.filter(component=component).order_by("-effective_from")
        out.append({"component": component, "label": COMPONENT_WORDS[component],
                    "versions": [(v.id, _("%(d)s起") % {"d": format_date(v.effective_from)}) for v in versions]})
    return out


@page_roles({"GET": READERS, "POST": WRITERS})
def mapping(request, import_id: int):
    imp = selectors.access_import(import_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        chosen = {f: request.POST.get(f"col_{f}", "") for f in FIELDS}
        versions = {c: request.POST.get(f"rule_{c}", "") for c in services.RULE_COMPONENTS}
        try:
            services.import_check(actor=request.user, import_id=imp.id, mapping=chosen,
                                  rules={"versions": versions})
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("history-report", imp.id)
    fields = [{"field": f, "label": FIELD_LABELS[f], "required": f in REQUIRED_FIELDS,
               "column": imp.mapping.get(f), "errors": errors.get(f, [])} for f in FIELDS]
    chosen_versions = (imp.rules or {}).get("versions", {})
    return render(request, "history/mapping.html", {
        "imp": imp, "fields": fields, "columns": list(enumerate(imp.header)), "preview": selectors.preview_rows(imp),
        "rules": [dict(r, chosen=chosen_versions.get(r["component"])) for r in _rule_choices()],
        "other_errors": [m for k, ms in errors.items() if k not in FIELDS for m in ms],
        "may_write": _may(request, WRITERS) and imp.status != HistoryImport.Status.ACCEPTED})


def _checks(imp) -> list[dict]:
    report = imp.report or {}
    out = []
    for check in (FORMAT, LOGIC, COMPARE):
        part = report.get(check, {})
        issues = part.get("issues", [])
        out.append({"key": check, "label": CHECK_LABELS[check], "count": len(issues),
                    "issues": issues[:SHOWN_ISSUES], "more": max(0, len(issues) - SHOWN_ISSUES), "part": part})
    return out


@page_roles(READERS)
def report(request, import_id: int):
    imp = selectors.access_import(import_id, with_rows=False)
    if imp.status == HistoryImport.Status.UPLOADED:
        return redirect("history-mapping", imp.id)
    return render(request, "history/report.html", {
        "imp": imp, "checks": _checks(imp), "r": imp.report,
        "may_accept": _may(request, WRITERS) and imp.status == HistoryImport.Status.CHECKED})


REPORT_HEADER = [gettext_lazy("校验"), gettext_lazy("行"), gettext_lazy("月份"), gettext_lazy("人员"), gettext_lazy("列"),
                 gettext_lazy("表格金额"), gettext_lazy("规则金额"), gettext_lazy("说明")]


@page_roles(READERS)
def report_download(request, import_id: int, fmt: str):
    """Every issue of the three checks, as CSV or XLSX (the one export writer): the month and the
    two figures typed, so they read as in every file for people (2026年3月, 1,200.00); a month the
    sheet wrote wrongly ("2026-13") is shown as written — that is the issue."""
    imp = selectors.access_import(import_id, with_rows=False)
    if fmt not in exports.FORMATS or not imp.report:
        raise Http404
    rows = [[str(CHECK_LABELS[c]), i["row"] or None, _month_of(i["period"]), i["person"], i["column"],
             _figure_of(i["sheet"]), _figure_of(i["engine"]), i["message"]] for c, i in _all_issues(imp)]
    return exports.table_response(fmt=fmt, filename=f"history-check-{imp.id}", title=_("三重校验"),
                                  headers=[str(h) for h in REPORT_HEADER], rows=rows)


def _month_of(text):
    return Period.parse(text) if Period.is_valid(text) else (text or None)


def _figure_of(text):
    amount = decimal_from_text(text) if text not in (None, "") else None
    return amount if amount is not None else (text or None)


def _all_issues(imp) -> list[tuple[str, dict]]:
    return [(c, i) for c in (FORMAT, LOGIC, COMPARE) for i in imp.report.get(c, {}).get("issues", [])]


@page_roles(WRITERS)
def accept(request, import_id: int):
    if request.method != "POST":
        return redirect("history-report", import_id)
    try:
        services.import_accept(actor=request.user, import_id=import_id)
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for err in errs:
                messages.error(request, err)
    else:
        messages.success(request, _("已确认导入。"))
    return redirect("history-report", import_id)


@page_roles({"GET": READERS, "POST": SIGNERS})
def parallel(request):
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.parallel_sign_off(actor=request.user, note=form.cleaned_data["note"],
                                       accept_differences=form.cleaned_data["accept_differences"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("并行期已签字结束。"))
            return redirect("history-parallel")
    return render(request, "history/parallel.html", {
        "s": selectors.parallel_summary(), "form": form, "may_sign": _may(request, SIGNERS)})
