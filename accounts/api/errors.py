"""One JSON shape for every API error: {"detail": ..., "code": ..., "errors": {field: [messages]}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail
        if isinstance(data, list):
            data = {"non_field_errors": data}
        response.data = {
            "detail": str(_first_message(data)),
            "code": "invalid",
            "errors": data,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, (Http404, exceptions.NotFound)):
        response.data = {"detail": response.data.get("detail", ""), "code": "not_found"}
    elif isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        response.data = {"detail": response.data.get("detail", ""), "code": "permission_denied"}
    elif isinstance(exc, exceptions.APIException):
        response.data = {
            "detail": response.data.get("detail", ""),
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
        }
    return response


def _first_message(data):
    if isinstance(data, dict):
        for value in data.values():
            return _first_message(value)
        return ""
    if isinstance(data, list):
        return _first_message(data[0]) if data else ""
    return data
