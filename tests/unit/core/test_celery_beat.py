from django.conf import settings

from config.celery import app


def test_every_periodic_entry_names_a_registered_task():
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)


def test_every_minute_sweep_expires_before_the_next_one():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        seconds = entry["schedule"].total_seconds() if hasattr(entry["schedule"], "total_seconds") else None
        if seconds == 60:
            assert entry.get("options", {}).get("expires", 61) < 60, name
