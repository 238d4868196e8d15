"""Postpurchase: settings, Celery app, root urls and the tenancy core."""

from postpurchase.celery import app as celery_app

__all__ = ("celery_app",)
