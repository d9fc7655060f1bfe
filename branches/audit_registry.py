"""HQ's cross-branch audit query: every audited model, public ones directly and branch ones
inside each branch's schema (materialised there, since querysets are lazy)."""
from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from .audit import history_rows
from .models import Branch


def _audited_models():
    shared, tenant = [], []
    tenant_apps = {a.split(".")[-1] for a in settings.TENANT_APPS}
    for model in apps.get_models():
        if not hasattr(model, "history") or model.__name__.startswith("Historical"):
            continue
        (tenant if model._meta.app_label in tenant_apps else shared).append(model)
    return shared, tenant


def audit_rows(*, model_label: str | None = None, branch_code: str | None = None, limit: int = 200) -> list[dict]:
    shared, tenant = _audited_models()
    labels = {m._meta.label for m in shared + tenant}
    if model_label and model_label not in labels:
        raise ValidationError({"model": [_("未知或未审计的模型:%(model)s") % {"model": model_label}]})
    rows: list[dict] = []
    if branch_code is None:
        for model in shared:
            if model_label in (None, model._meta.label):
                rows += [dict(r, branch=None) for r in history_rows(model, limit=limit)]
    branches = Branch.objects.exclude(schema_name="public")
    if branch_code is not None:
        branches = branches.filter(code=branch_code)
        if not branches.exists():
            raise ValidationError({"branch": [_("分支机构不存在:%(code)s") % {"code": branch_code}]})
    for branch in branches:
        with schema_context(branch.schema_name):
            for model in tenant:
                if model_label in (None, model._meta.label):
                    rows += [dict(r, branch=branch.code) for r in history_rows(model, limit=limit)]
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows[:limit]
