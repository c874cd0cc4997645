from datetime import timedelta

import pytest
from django.utils import timezone

from carriers.models import OneTimeCode
from carriers.tasks import one_time_codes_purge
from tests.support.live import wait_for

pytestmark = pytest.mark.integration


def test_task_sent_through_redis_runs_in_the_live_worker(live_worker):
    long_ago = timezone.now() - timedelta(days=3)
    OneTimeCode.objects.create(phone="+77011234567", code_hash="x", expires_at=long_ago)
    fresh = OneTimeCode.objects.create(
        phone="+77011234567", code_hash="y", expires_at=timezone.now() + timedelta(minutes=5)
    )

    result = one_time_codes_purge.delay()

    assert result.id  # sent to the broker, not run in-process
    wait_for(lambda: list(OneTimeCode.objects.values_list("pk", flat=True)) == [fresh.pk])
    assert f"carriers.one_time_codes_purge[{result.id}]" in live_worker.log_path.read_text()
