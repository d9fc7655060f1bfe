from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialInsuranceConfig(AppConfig):
    """Branch side of 社保/公积金 (branch schema): employees, monthly cycle, fee statements."""

    name = "social_insurance"
    verbose_name = _("社保公积金")
