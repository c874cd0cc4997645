"""Thin Celery wrappers around carriers services."""

from celery import shared_task
from django.utils import timezone

from carriers import services


@shared_task(name="carriers.one_time_codes_purge", ignore_result=True, soft_time_limit=60, time_limit=90)
def one_time_codes_purge(**kwargs) -> None:
    services.one_time_codes_purge(as_of=timezone.now())


@shared_task(name="carriers.auth_tokens_purge", ignore_result=True, soft_time_limit=60, time_limit=90)
def auth_tokens_purge(**kwargs) -> None:
    services.auth_tokens_purge(as_of=timezone.now())
