"""The Celery app, configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from postpurchase.task_logging import quiet_periodic_task_logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postpurchase.settings")

app = Celery("postpurchase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
quiet_periodic_task_logs()


@task_prerun.connect(dispatch_uid="postpurchase.db_connections.prerun")
@task_postrun.connect(dispatch_uid="postpurchase.db_connections.postrun")
def close_old_connections(task=None, **kwargs):
    """Around each task, what Django does around each request: close a database
    connection that is broken or older than CONN_MAX_AGE, keep a healthy one.

    Celery's Django fixup would close it before and after every task (a new
    PostgreSQL connection per task); CELERY_DB_REUSE_MAX turns that off. A task
    run eagerly (`.apply()`) runs inside its caller's connection: left alone.
    """
    from django.db import close_old_connections as django_close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return
    django_close_old_connections()
