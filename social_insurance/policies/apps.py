from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    """Locality policies per city and policy year (public schema, shared by all branches)."""

    name = "social_insurance.policies"
    label = "si_policies"
    verbose_name = _("社保政策")
