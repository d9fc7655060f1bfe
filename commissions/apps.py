from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    """Branch side of commissions (branch schema): events, adjustments, statements, periods."""

    name = "commissions"
    verbose_name = _("提成")

    def ready(self):
        from .prepared import connect

        connect()  # edits that change prepared statements and boards
