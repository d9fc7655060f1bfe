from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsHQConfig(AppConfig):
    """HQ side of commissions (public schema): rule versions, the 备案 register, rollups."""

    name = "commissions.hq"
    label = "commissions_hq"
    verbose_name = _("提成方案(总部)")
