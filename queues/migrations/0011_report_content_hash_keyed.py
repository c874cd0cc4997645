"""Stored content hashes become keyed: each plain SHA-256 digest is replaced by its HMAC under REPORT_HASH_KEY.

The ingest compares a resent report's HMAC(key, SHA-256(content)) with the stored hash, so a report stored before
this migration and retried after it is still a ``duplicate``. The plain digests cannot be recovered afterwards.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations

BATCH = 2000


def key_the_hashes(apps, schema_editor):
    Report = apps.get_model("queues", "Report")
    key = settings.REPORT_HASH_KEY.encode()
    last_pk = None
    while True:
        rows = Report.objects.order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows.values_list("pk", "content_hash")[:BATCH])
        if not batch:
            return
        for pk, digest in batch:
            keyed = hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()
            Report.objects.filter(pk=pk).update(content_hash=keyed)
        last_pk = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("queues", "0010_estimate_point_published_covering"),
    ]

    operations = [
        migrations.RunPython(key_the_hashes, migrations.RunPython.noop, elidable=True),
    ]
