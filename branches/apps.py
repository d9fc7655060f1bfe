from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = _("分支机构与人员")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import services, tokens  # noqa: F401 - tokens: its logout receiver

        tokens.connect()  # edits that end prepared token entries (revocation at once)
        # A sign-in stamps last_login without adding a row to the person's history (the field
        # is not in the history: each sign-in made a row that changed nothing).
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(services.stamp_last_login, dispatch_uid="update_last_login")
        from .middleware import connect as tenants_connect

        tenants_connect()  # edits of branches and their routes end the cached branch resolution
        # `migrate` must leave a fresh database ready, the public (HQ) tenant included.
        post_migrate.connect(services.ensure_public_tenant_after_migrate, sender=self)
        # … and the branch template up to date (migrated right after the public schema).
        from django_tenants.signals import schema_migrated

        from .schemas import migrate_template_after_public

        schema_migrated.connect(migrate_template_after_public, dispatch_uid="branches.template")
