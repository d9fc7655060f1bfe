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


def task_queue() -> str:
    """The queue of the database this process is connected to: the worker of that database reads
    it (`CELERY_TASK_DEFAULT_QUEUE`), and nobody else (a test run connects to its own database)."""
    from django.db import connection

    return f"hrsaas.{connection.settings_dict['NAME']}"


def route_to_this_database(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES: every task sent from here goes to this database's queue."""
    return {"queue": task_queue()}
