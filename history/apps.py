from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    """Going live (上线): last year's sheets imported with three checks, and the parallel run
    compared month by month with the sheet until HQ signs it off (branch schema)."""

    name = "history"
    verbose_name = _("历史数据与并行期")
