"""gunicorn's access log with credentials redacted (``logger_class`` in config/gunicorn.py).

gunicorn writes its access log itself, outside Django's logging and its redacting filter: a partner key sent in a
query string (refused by the API, but sent all the same) would be written verbatim in the request line. Every
atom of the line (request line, query string, headers) goes through the same :func:`core.logging.redact`, and so
does gunicorn's error log, whose warnings quote the request line it refused.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from core.logging import SecretRedactingFilter, redact


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # gunicorn's own warnings quote what it refused ("Invalid request from ip=...: Invalid Request Line '...'").
        self.error_log.addFilter(SecretRedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact(value) if isinstance(value, str) else value for name, value in atoms.items()}
