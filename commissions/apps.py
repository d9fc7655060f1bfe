from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    """Branch side of commissions (branch schema): events, adjustments, statements, periods."""

    name = "commissions"
    verbose_name = _("提成")

    def ready(self):
        from hrsaas.core import prepared as store

        from .prepared import connect, likely_bodies

        connect()  # edits that change prepared statements and boards
        if likely_bodies not in store.LIKELY:
            store.LIKELY.append(likely_bodies)  # read with the API token, in one round trip
