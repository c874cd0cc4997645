"""Pagination as the contract says: ``{"results": [...], "next": "<url or null>"}``. The driver API pages
with DRF's cursor pagination; the partner API with keyset pages over opaque cursors (:func:`keyset_page`)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.response import Response

from core.errors import ValidationFailed


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-created_at"

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
            values = cursor_decode(cursor, size=len(fields))
        except ValueError:
            raise ValidationFailed(errors={"cursor": [_("This cursor is not valid.")]}) from None
        after = Q()
        for index, field in enumerate(fields):
            step = Q(**{f"{field}__gt": values[index]})
            for previous, value in zip(fields[:index], values[:index], strict=True):
                step &= Q(**{previous: value})
            after |= step
        try:
            rows = list(queryset.filter(after)[: limit + 1])
        except (ValueError, TypeError):
            raise ValidationFailed(errors={"cursor": [_("This cursor is not valid.")]}) from None
    else:
        rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return Page(results=rows, next_cursor=None)
    last = rows[limit - 1]
    next_cursor = cursor_encode(_cursor_value(getattr(last, field)) for field in fields)
    return Page(results=rows[:limit], next_cursor=next_cursor)


def _cursor_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
