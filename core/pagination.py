"""Pagination as the contract says: ``{"results": [...], "next": "<url or null>"}``. The driver API pages
with DRF's cursor pagination; the partner API with keyset pages over opaque cursors (:func:`keyset_page`)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.errors import ValidationFailed

INVALID_CURSOR = gettext_lazy("This cursor is not valid.")

# The widest integer both databases store (PostgreSQL's bigint); a larger one fails in the driver.
_INTEGER_RANGE = (-(2**63), 2**63 - 1)


def cursor_value_clean(field: models.Field | None, raw: Any) -> Any:
    """The value of ``field`` written as ``raw`` in a cursor, checked so that a query may compare with it.

    Raises ``ValueError`` for a value no page of this API could have written: not a string, a NUL byte (PostgreSQL
    refuses it), not of the field's type, an integer past 64 bits, or a date-time whose offset carries it outside
    years 1–9999 once in UTC (``0001-01-01T00:00:00+23:59``). ``field`` ``None`` (an annotation) checks the string
    only.
    """
    if not isinstance(raw, str) or "\x00" in raw:
        raise ValueError("invalid cursor value")
    if field is None:
        return raw
    try:
        value = field.to_python(raw)
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC)
        out_of_range = isinstance(value, int) and not _INTEGER_RANGE[0] <= value <= _INTEGER_RANGE[1]
        if out_of_range:
            raise ValueError("integer out of range")
        field.get_prep_value(value)
    except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
        raise ValueError("invalid cursor value") from exc
    return value


def model_field_or_none(model: type[models.Model], name: str) -> models.Field | None:
    """The model field ``name`` (``None`` for an annotation or a relation path)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination; a cursor it did not make is a 400 ``validation_error`` on ``cursor``.

    DRF answers an undecodable cursor with 404 and passes a decodable one's position straight into the query,
    where a forged one (not a date, a NUL byte, a huge number, an offset past year 9999) would fail as a 500. The
    position is therefore checked against the first ordering field's type before any query runs.
    """

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-created_at"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
        if cursor is None or cursor.position is None:
            return cursor
        ordering = self.ordering if isinstance(self.ordering, list | tuple) else (self.ordering,)
        field = model_field_or_none(self._model, ordering[0].lstrip("-"))
        try:
            cursor_value_clean(field, cursor.position)
        except ValueError:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
        return cursor

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "format": "uri", "nullable": True},
            },
        }


# --- Keyset pages (the partner API) ------------------------------------------------------------------
def cursor_encode(values: Iterable[str]) -> str:
    """An opaque cursor for keyset pagination over the given ordering values."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def cursor_decode(cursor: str, *, size: int) -> list[str]:
    """The ordering values of a cursor; raises ``ValueError`` when it was not made by :func:`cursor_encode`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str) for v in values):
        raise ValueError("invalid cursor")
    return values


@dataclass(frozen=True, slots=True)
class Page:
    results: list[Any]
    next_cursor: str | None


def keyset_page(queryset: QuerySet, *, fields: Sequence[str], cursor: str | None, limit: int) -> Page:
    """One page of ``queryset`` ordered by ``fields`` (ascending, together unique) after ``cursor``.

    Raises :class:`ValidationFailed` on a cursor this API did not make.
    """
    queryset = queryset.order_by(*fields)
    if cursor:
        try:
            values = [
                cursor_value_clean(model_field_or_none(queryset.model, field), value)
                for field, value in zip(fields, cursor_decode(cursor, size=len(fields)), strict=True)
            ]
        except ValueError:
            raise ValidationFailed(errors={"cursor": [_("This cursor is not valid.")]}) from None
        after = Q()
        for index, field in enumerate(fields):
            step = Q(**{f"{field}__gt": values[index]})
            for previous, value in zip(fields[:index], values[:index], strict=True):
                step &= Q(**{previous: value})
            after |= step
        rows = list(queryset.filter(after)[: limit + 1])
    else:
        rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(results=rows, next_cursor=None)
    last = rows[limit - 1]
    next_cursor = cursor_encode(_cursor_value(getattr(last, field)) for field in fields)
    return Page(results=rows[:limit], next_cursor=next_cursor)


def _cursor_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
