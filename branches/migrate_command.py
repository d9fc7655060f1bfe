"""Django's `migrate`, as django-tenants runs it once per schema (TENANT_BASE_MIGRATE_COMMAND),
without working out the models of the apps the schema does not hold.

django-tenants migrates every schema with every app's migrations; its router turns each
operation of an app the schema does not hold into nothing (tenant apps in `public`, shared apps
in a branch schema or the template). Django still applies each of those operations to its
rendered model state first, re-rendering every model related to the one changed: half of a
fresh `migrate`'s time (≈ 10 s of 20 s), spent on migrations that change nothing there.

Here such a migration changes the unrendered state only (the state the next migrations need,
at no rendering cost) and is recorded as applied, as Django would record it after its no-op
operations: the schema's tables and django_migrations end the same
(`tests/platform/test_branch_schema_template.py` compares the catalogues, object by object).
Only under a router that decides by app alone (django-tenants' TenantSyncRouter, the project's
only one); with any other router configured, `migrate` runs unchanged.
"""
from __future__ import annotations

from django.conf import settings
from django.core.management.commands import migrate as django_migrate
from django.db import router
from django.db.migrations.executor import MigrationExecutor

ROUTERS_BY_APP = ["django_tenants.routers.TenantSyncRouter"]


class SchemaMigrationExecutor(MigrationExecutor):
    def _holds(self, migration) -> bool:
        return router.allow_migrate(self.connection.alias, migration.app_label) is not False

    def _migrate_all_forwards(self, state, plan, full_plan, fake, fake_initial):
        # `--fake` leaves Django's state where it was (the migrations are recorded only): nothing
        # to skip, and skipping would move the state where Django's does not.
        if fake or list(settings.DATABASE_ROUTERS) != ROUTERS_BY_APP:
            return super()._migrate_all_forwards(state, plan, full_plan, fake, fake_initial)
        to_run = {m[0] for m in plan}
        for migration, _ in full_plan:
            if not to_run:
                break
            if migration not in to_run:
                continue
            to_run.remove(migration)
            if self._holds(migration):
                if "apps" not in state.__dict__:
                    state.apps  # rendered once per run of migrations that touch the schema
                state = self.apply_migration(state, migration, fake=fake, fake_initial=fake_initial)
                continue
            if self.progress_callback:
                self.progress_callback("apply_start", migration, fake)
            # Dropping the rendered models makes the state change cheap (no re-rendering); the
            # next migration that touches the schema renders the models once again.
            state.__dict__.pop("apps", None)
            migration.mutate_state(state, preserve=False)
            self.record_migration(migration)
            if self.progress_callback:
                self.progress_callback("apply_success", migration, fake)
        return state


class Command(django_migrate.Command):
    def handle(self, *args, **options):
        # Django's command makes its executor from its module's name; this is the only way in
        # short of copying `handle`. A management command runs on one thread.
        original = django_migrate.MigrationExecutor
        django_migrate.MigrationExecutor = SchemaMigrationExecutor
        try:
            return super().handle(*args, **options)
        finally:
            django_migrate.MigrationExecutor = original
