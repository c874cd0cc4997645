"""Every list is bounded: a client cannot ask for an unbounded page."""

import pytest

from carriers.models import Notification
from core.pagination import CursorPagination
from queues.models import PartnerKey

pytestmark = pytest.mark.django_db


def test_a_driver_list_never_answers_more_than_the_maximum_page(driver_client, driver):
    Notification.objects.bulk_create(
        [
            Notification(audience="driver", driver=driver, kind="test", title=f"n{index}", dedupe_key=f"limit-{index}")
            for index in range(CursorPagination.max_page_size + 5)
        ]
    )

    response = driver_client.get("/api/v1/notifications", {"limit": 100_000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == CursorPagination.max_page_size
    assert response.json()["next"]


def test_a_partner_list_refuses_a_page_over_its_maximum(client, settings):
    _, key = PartnerKey.objects.create_key(name="limits", firm="Limits Ltd")

    response = client.get(
        "/api/partner/v1/crossings", {"limit": settings.PARTNER_PAGE_SIZE_MAX + 1}, HTTP_X_API_KEY=key
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
