"""Writes of the history app: upload, column mapping and the three checks, accept, and HQ's
sign-off of the parallel run. Each is audited (who, when) through the models' history.

Nothing here writes a client, a sale or a statement line: the months of a history sheet are
past (closed, or paid by hand), so they are recorded and compared, never recomputed into the
statements; the comparison runs the real engine on the sheet's own events in memory."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.audit import stamp
from commissions import engine as ce
from commissions.hq.models import RuleVersion
from commissions.hq.rules import RuleError, RuleVersionData, parse_rule
from commissions.imports import cell_text
from commissions.services import current_branch, rulebook_load
from hrsaas import uploads
from hrsaas.core import inputs
from hrsaas.core.formatting import format_date
from hrsaas.core.labels import COMPONENTS as COMPONENT_WORDS
from hrsaas.core.unique import taken_is_refused

from . import selectors
from .engine import FIELD_LABELS, FIELDS, guess_mapping, mapping_problems, run_checks, statements_compare
from .models import HistoryImport, ParallelSignOff

MAX_ROWS = 20_000
# The components a history sheet carries (leads are not in a commission sheet's rows).
RULE_COMPONENTS = ("opening_reward", "retention_bonus", "sales_commission")
# A chosen version or a draft applies to every month of the sheet.
ALWAYS = dt.date(2000, 1, 1)


def import_upload(*, actor, upload, kind: str, period=None) -> HistoryImport:
    """Read an uploaded sheet through the one bounded reader and keep its rows as text, with a
    column mapping guessed from its headers."""
    errors = inputs.Errors()
    if kind not in HistoryImport.Kind.values:
        errors.add("kind", _("请选择历史数据导入或并行期月份。"))
    month = ""
    if kind == HistoryImport.Kind.PARALLEL:
        month = inputs.parse_period({"period": period}, "period", errors, not_after_this_month=True) or ""
        if ParallelSignOff.objects.exists():
            errors.add("period", _("总部已签字结束并行期,不再接收并行期月份。"))
    if upload is None:
        errors.add("file", _("请上传 CSV 或 XLSX 文件。"))
    errors.raise_if_any()
    table = uploads.read_table(upload, filename=getattr(upload, "name", "") or "", max_rows=MAX_ROWS)
    header = [cell_text(h) for h in table.header]
    rows = [[number, [cell_text(v) for v in values]] for number, values in table.rows]
    if not rows:
        raise ValidationError({"file": [_("文件只有表头,没有数据行。")]})
    imp = HistoryImport(kind=kind, period=month, filename=(getattr(upload, "name", "") or "")[:200], header=header,
                        rows=rows, row_count=len(rows), mapping=guess_mapping(header), uploaded_by=actor)
    stamp(imp, actor=actor, reason="上传历史表格")
    imp.save()
    return imp


def parse_mapping(imp: HistoryImport, data) -> dict[str, int | None]:
    """A mapping from input: field → a column index, or the column's header as written; "" or
    null for none. Fields not given keep the current mapping."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError({"mapping": [_("列映射须为“字段: 列”的对象。")]})
    mapping = {f: imp.mapping.get(f) for f in FIELDS}
    errors = inputs.Errors()
    for fld, value in data.items():
        if fld not in FIELDS:
            errors.add("mapping", _("未知字段:%(f)s") % {"f": str(fld)[:30]})
            continue
        if value is None or value == "":
            mapping[fld] = None
        elif isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, str) and value.isascii() and value.isdigit()):
            mapping[fld] = int(value)
        elif isinstance(value, str) and value.strip() in imp.header:
            mapping[fld] = imp.header.index(value.strip())
        else:
            errors.add(fld, _("文件中没有这一列:%(c)s") % {"c": str(value)[:30]})
    for fld, messages in mapping_problems(mapping, len(imp.header)).items():
        for message in messages:
            errors.add(fld, f"{FIELD_LABELS[fld]}:{message}")
    errors.raise_if_any()
    return mapping


def parse_rules(data) -> dict:
    """The rules the company says it used: `{}` — each month under the published versions in
    force then; `{"versions": {component: id}}` — a published version for every month;
    `{"draft": {component: params}}` — parameters as a rule version's (not published)."""
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        raise ValidationError({"rules": [_("比对规则格式不正确。")]})
    errors = inputs.Errors()
    versions, draft = data.get("versions") or {}, data.get("draft") or {}
    if not isinstance(versions, dict) or not isinstance(draft, dict):
        raise ValidationError({"rules": [_("比对规则格式不正确。")]})
    out: dict = {"versions": {}, "draft": {}}
    for component, vid in versions.items():
        if vid in (None, ""):
            continue
        if component not in RULE_COMPONENTS:
            errors.add("rules", _("未知方案:%(c)s") % {"c": str(component)[:30]})
        elif inputs.record_id(vid) is None or not RuleVersion.objects.filter(pk=inputs.record_id(vid), component=component).exists():
            errors.add("rules", _("%(c)s没有这个已发布版本。") % {"c": COMPONENT_WORDS.get(component, component)})
        else:
            out["versions"][component] = int(vid)
    for component, params in draft.items():
        if component not in RULE_COMPONENTS or component in out["versions"]:
            errors.add("rules", _("草案的方案须是开户奖励、留存奖励或销售提成之一,且不与已选版本重复。"))
            continue
        try:
            parse_rule(component, params)
        except RuleError as exc:
            for path, messages in exc.errors.items():
                for message in messages:
                    errors.add("rules", _("%(component)s草案 %(path)s:%(message)s") % {
                        "component": COMPONENT_WORDS.get(component, component), "path": path, "message": message})
            continue
        out["draft"][component] = params
    errors.raise_if_any()
    return out if out["versions"] or out["draft"] else {}


def rulebook_for(choice: dict) -> tuple[ce.RuleBook, str]:
    """The rule book of the comparison and a sentence naming it."""
    book = rulebook_load()
    if not choice:
        return book, _("各月当时生效的已发布方案(含本分支机构已备案的浮动调整)")
    chosen: dict[str, RuleVersionData] = {}
    words = []
    for component, vid in choice.get("versions", {}).items():
        v = RuleVersion.objects.get(pk=vid)
        chosen[component] = RuleVersionData(id=v.id, component=component, effective_from=ALWAYS,
                                            rule=parse_rule(component, v.params))
        words.append(_("%(c)s:%(d)s起的版本") % {"c": COMPONENT_WORDS.get(component, component),
                                                 "d": format_date(v.effective_from)})
    for component, params in choice.get("draft", {}).items():
        chosen[component] = RuleVersionData(id=None, component=component, effective_from=ALWAYS,
                                            rule=parse_rule(component, params))
        words.append(_("%(c)s:草案") % {"c": COMPONENT_WORDS.get(component, component)})
    versions = tuple(v for v in book.versions if v.component not in chosen) + tuple(chosen.values())
    text = _("各月均按:") + ";".join(words) + _(";其余按当时生效的已发布方案")
    return replace(book, versions=versions), text


def import_check(*, actor, import_id: int, mapping=None, rules=None) -> HistoryImport:
    """Map the columns, run the three checks and keep the report (idempotent: the same input
    gives the same report)."""
    imp = selectors.access_import(import_id)
    if imp.status == HistoryImport.Status.ACCEPTED:
        raise ValidationError({"detail": [_("已导入的表格不能再修改列映射或比对规则。")]})
    chosen_mapping = parse_mapping(imp, mapping)
    choice = parse_rules(rules) if rules is not None else imp.rules
    book, words = rulebook_for(choice)
    branch = current_branch()
    report = run_checks([(n, cells) for n, cells in imp.rows], chosen_mapping,
                        people=selectors.people_of_branch(branch), known_clients=selectors.known_clients(),
                        rules=book, branch=ce.BranchRef(branch.id, branch.code))
    data = report.as_dict()
    if imp.kind == HistoryImport.Kind.PARALLEL:
        data["statements"] = statements_compare(report.lines, period=imp.period, names=selectors.names_of_earners(),
                                                system=selectors.statement_totals(imp.period))
        # Lines of other months say the wrong sheet (or month) was chosen: counted and shown.
        data["outside_period"] = sum(1 for ln in report.lines if ln.period != imp.period)
    with transaction.atomic():
        imp = HistoryImport.objects.select_for_update().get(pk=imp.pk)
        imp.mapping, imp.rules, imp.rules_text, imp.report = chosen_mapping, choice, words[:300], data
        imp.format_issues = len(data["format"]["issues"])
        imp.logic_issues = len(data["logic"]["issues"])
        imp.differences = len(data["compare"]["issues"])
        imp.lines_compared = data["compare"]["compared"]
        imp.error_rate = Decimal(data["error_rate"])
        imp.status, imp.checked_at = HistoryImport.Status.CHECKED, timezone.now()
        stamp(imp, actor=actor, reason="三重校验")
        imp.save()
    return imp


def import_prepare(*, actor, import_id: int, mapping=None, rules=None) -> HistoryImport:
    """Validate and keep the column mapping and the rules before a check runs in the worker (a bad
    request is refused now, in the user's words, not later in a task)."""
    imp = selectors.access_import(import_id)
    if imp.status == HistoryImport.Status.ACCEPTED:
        raise ValidationError({"detail": [_("已导入的表格不能再修改列映射或比对规则。")]})
    chosen_mapping = parse_mapping(imp, mapping)
    choice = parse_rules(rules) if rules is not None else imp.rules
    with transaction.atomic():
        imp = HistoryImport.objects.select_for_update().get(pk=imp.pk)
        imp.mapping, imp.rules = chosen_mapping, choice
        stamp(imp, actor=actor, reason="确认列映射")
        imp.save(update_fields=["mapping", "rules"])
    return imp


def import_check_request(*, actor, import_id: int) -> str:
    """Queue the three checks of a big sheet (after the commit); the task id to follow."""
    from .tasks import check_import

    schema, task_id = connection.schema_name, str(uuid.uuid4())
    transaction.on_commit(lambda: check_import.apply_async(args=[import_id, actor.id], task_id=task_id,
                                                           headers={"_schema_name": schema}))
    return task_id


def import_accept(*, actor, import_id: int) -> HistoryImport:
    """Accept a checked sheet as the branch's record of those months (as paid). Refused while
    its format or logic check reports a problem; differences found by the comparison are what
    the record is for and do not block it."""
    with transaction.atomic():
        imp = selectors.access_import(import_id)
        imp = HistoryImport.objects.select_for_update().get(pk=imp.pk)
        if imp.status == HistoryImport.Status.ACCEPTED:
            return imp
        if imp.status != HistoryImport.Status.CHECKED:
            raise ValidationError({"detail": [_("请先确认列映射并完成三重校验。")]})
        if imp.format_issues or imp.logic_issues:
            raise ValidationError({"detail": [
                _("格式校验有 %(f)d 处、逻辑校验有 %(l)d 处问题,请修改表格后重新上传。")
                % {"f": imp.format_issues, "l": imp.logic_issues}]})
        imp.status, imp.accepted_by, imp.accepted_at = HistoryImport.Status.ACCEPTED, actor, timezone.now()
        stamp(imp, actor=actor, reason="历史数据确认导入")
        imp.save()
    return imp


def parallel_sign_off(*, actor, note: str = "", accept_differences: bool = False) -> ParallelSignOff:
    """HQ ends the branch's parallel run: who, when, the months compared and the error rate found.
    While the comparison still shows differences (lines, rows with problems, or people whose
    statement differs from the sheet), only with `accept_differences` and a note saying why:
    one click once ended a run whose sheet held none of the month's rows."""
    errors = inputs.Errors()
    note = inputs.parse_text({"note": note}, "note", errors, max_length=300, required=False)
    errors.raise_if_any()
    with transaction.atomic():
        signed_off = {"detail": [_("并行期已签字结束。")]}
        if ParallelSignOff.objects.select_for_update().exists():
            raise ValidationError(signed_off)
        summary = selectors.parallel_summary()
        if not summary["months"]:
            raise ValidationError({"detail": [_("还没有任何并行期月份的比对,不能签字结束。")]})
        open_items = summary["differences"] + summary["rows_with_issues"] + summary["people_differing"]
        if open_items and not (accept_differences and note):
            raise ValidationError({"accept_differences": [
                _("比对仍有 %(n)d 处不一致(差错率 %(rate)s%%):请先核实;如确认结束并行期,请勾选“接受现有差异”并填写意见。")
                % {"n": open_items, "rate": summary["error_rate"]}]})
        sign_off = ParallelSignOff(signed_by=actor, note=note, months=[m.period for m in summary["months"]],
                                   lines_compared=summary["lines_compared"], differences=summary["differences"],
                                   error_rate=summary["error_rate"])
        stamp(sign_off, actor=actor, reason="总部签字结束并行期")
        with taken_is_refused(signed_off, constraint="parallel_signed_off_once"):  # two at once: the table was empty
            sign_off.save()
    return sign_off
