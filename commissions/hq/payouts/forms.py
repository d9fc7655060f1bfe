"""The payment-data form: rendering and the raw values; validation is the engine's (one rule
for the page and the API)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PaymentProfileForm(forms.Form):
    employee_number = forms.CharField(label=_("工号"), required=False, max_length=200)
    account_name = forms.CharField(label=_("户名"), required=False, max_length=200)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=200)
    bank_name = forms.CharField(label=_("开户行"), required=False, max_length=200)
    bank_branch = forms.CharField(label=_("开户支行"), required=False, max_length=200)
    account_number = forms.CharField(label=_("收款账号"), required=False, max_length=200)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for m in messages:
                self.add_error(field if field in self.fields else None, m)
