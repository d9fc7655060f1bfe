"""The Celery app. Tasks run in the schema they were sent from (tenant-schemas-celery)."""
import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")

app = CeleryApp("hrsaas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_schedule(sender, **kwargs):
    from hrsaas.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
