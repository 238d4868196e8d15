"""Quiet periodic tasks: beat's ticks and a tick that found nothing to do log at DEBUG.

Beat runs the due-soon dispatcher every second; at INFO each tick wrote three lines
(beat's "Sending due task", the worker's "received" and "succeeded … : 0"), and the
emails and the API key `make run` prints scrolled away. A periodic task that did
something (returned a count above 0) and every failure still log at INFO or above.
"""

import logging

# Celery's own loggers for those three lines (celery.beat, worker/strategy.py, app/trace.py).
TICK_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")
NOTHING_DONE = frozenset({"0", "None", "[]", "{}", "()", "''"})


class QuietPeriodicTasks(logging.Filter):
    """Demotes the INFO lines of periodic tasks that did nothing to DEBUG."""

    def __init__(self, task_names=None):
        super().__init__()
        self._task_names = frozenset(task_names) if task_names is not None else None

    @property
    def task_names(self) -> frozenset[str]:
        if self._task_names is None:  # read late: this module loads before Django's settings
            from django.conf import settings

            self._task_names = frozenset(
                entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
            )
        return self._task_names

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not self._is_idle_tick(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    def _is_idle_tick(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "celery.beat":  # "Scheduler: Sending due task %s (%s)", name, task
            return isinstance(args, tuple) and len(args) == 2 and args[1] in self.task_names
        if not isinstance(args, dict) or args.get("name") not in self.task_names:
            return False
        if "return_value" in args:  # succeeded: quiet only when it found nothing to do
            return str(args["return_value"]) in NOTHING_DONE
        return "runtime" not in args  # received: nothing is known yet


def quiet_periodic_task_logs() -> None:
    for name in TICK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietPeriodicTasks) for f in logger.filters):
            logger.addFilter(QuietPeriodicTasks())
