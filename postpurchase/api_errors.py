"""One error shape for the whole API: {"errors": {field: [messages]}}."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def _as_field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {str(k): _as_messages(v) for k, v in detail.items()}
    return {"detail": _as_messages(detail)}


def _as_messages(value):
    if isinstance(value, dict):
        return {str(k): _as_messages(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [str(v) for v in value]
        return [_as_messages(v) for v in value]
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"errors": {"detail": ["Internal error; nothing was saved."]}},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = {"errors": _as_field_errors(response.data)}
    return response
