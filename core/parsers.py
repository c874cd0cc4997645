"""Request parsers for the driver API."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus: a body nested deeper than Python's recursion limit is a malformed request.

    ``json`` raises RecursionError (not ValueError) for ``[[[[...]]]]`` tens of thousands deep, which DRF
    does not catch: a 100 kB body would otherwise answer 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None
