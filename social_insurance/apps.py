from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


@checks.register(checks.Tags.security)
def field_key_of_its_own(app_configs=None, **kwargs):
    """Identity numbers under SECRET_KEY (FIELD_ENCRYPTION_KEY unset) are lost when SECRET_KEY is
    rotated: said on every management command (migrate, check) of a production configuration."""
    from django.conf import settings

    if settings.DEBUG or getattr(settings, "FIELD_ENCRYPTION_KEY_SET", True):
        return []
    return [checks.Warning(
        "FIELD_ENCRYPTION_KEY is not set: identity numbers are encrypted under SECRET_KEY, and rotating "
        "SECRET_KEY would make them unreadable.",
        hint="Set FIELD_ENCRYPTION_KEY to the current SECRET_KEY now (nothing to re-encrypt), then rotate "
             "either secret on its own (README, Identity numbers).",
        id="hrsaas.W001")]


class SocialInsuranceConfig(AppConfig):
    """Branch side of 社保/公积金 (branch schema): employees, monthly cycle, fee statements."""

    name = "social_insurance"
    verbose_name = _("社保公积金")
