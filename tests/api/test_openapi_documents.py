"""Both OpenAPI documents are valid OpenAPI, name every operation, and generate a client without a warning."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.support.openapi_clients import client_generate, openapi_document

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["driver", "partner"])
def test_the_document_is_valid_openapi(name):
    validate(openapi_document(name))


@pytest.mark.parametrize("name", ["driver", "partner"])
def test_every_operation_has_a_chosen_name(name):
    document = openapi_document(name)

    operation_ids = [
        operation.get("operationId")
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
    ]

    assert all(operation_ids)
    assert len(set(operation_ids)) == len(operation_ids)
    assert not [name for name in operation_ids if name.startswith(("queues_", "api_")) or "retrieve" in name]


@pytest.mark.parametrize("name", ["driver", "partner"])
def test_a_client_generates_from_the_document_without_warnings(name, tmp_path):
    client = client_generate(name, tmp_path)

    assert client.Client


def test_the_partner_history_interval_has_readable_member_names(tmp_path):
    client = client_generate("partner", tmp_path)

    members = {member.name for member in client.models.CrossingHistoryGetInterval}

    assert members == {"FIFTEEN_MINUTES", "ONE_HOUR", "ONE_DAY"}


def test_the_report_result_documents_errors_as_present_only_on_rejected_items():
    result = openapi_document("driver")["components"]["schemas"]["ReportResult"]

    assert "errors" not in result["required"]
    assert "rejected" in result["properties"]["errors"]["description"]


@pytest.mark.parametrize("name", ["driver", "partner"])
def test_the_estimate_is_fully_typed(name):
    schemas = openapi_document(name)["components"]["schemas"]
    estimate = schemas["Estimate"] if name == "driver" else schemas["EstimateOut"]

    assert set(estimate["required"]) >= {"wait_minutes", "low_minutes", "high_minutes", "computed_at", "confidence"}
    assert estimate["properties"]["wait_minutes"]["type"] == "integer"
    data_until = estimate["properties"]["data_until"]
    formats = [data_until.get("format")] + [branch.get("format") for branch in data_until.get("anyOf", [])]
    assert "date-time" in formats


def test_the_report_batch_documents_its_throttle_and_media_type():
    responses = openapi_document("driver")["paths"]["/api/v1/reports"]["post"]["responses"]

    assert {"200", "400", "413", "415", "429"} <= set(responses)


def test_every_driver_list_documents_its_page_size():
    document = openapi_document("driver")

    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None or not any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            continue
        assert any(p["name"] == "limit" for p in operation["parameters"]), path


@pytest.mark.parametrize(
    ("name", "paths"),
    [
        ("driver", ["/api/v1/crossings/{slug}/forecast", "/api/v1/routes"]),
        ("partner", ["/api/partner/v1/crossings/{slug}/forecast", "/api/partner/v1/routes"]),
    ],
)
def test_the_forecast_and_routes_are_documented(name, paths):
    documented = openapi_document(name)["paths"]

    for path in paths:
        assert "get" in documented[path]
        assert "200" in documented[path]["get"]["responses"]


def test_the_stay_status_documents_the_exit_plan_and_the_plan_its_queue_days():
    document = openapi_document("driver")
    schemas = document["components"]["schemas"]

    assert "exit_plan" in schemas["StayCountryStatus"]["properties"]
    assert {"crossing", "direction", "join_by", "wait_minutes", "high_minutes"} <= set(
        schemas["ExitPlanItem"]["properties"]
    )
    assert "queue_days" in schemas["StayPlan"]["properties"]
    parameters = {parameter["name"] for parameter in document["paths"]["/api/v1/stays/plan"]["get"]["parameters"]}
    assert "exit_crossing" in parameters


def test_the_stay_record_is_documented_as_json_and_as_a_pdf():
    operation = openapi_document("driver")["paths"]["/api/v1/stays/record"]["get"]

    assert set(operation["responses"]["200"]["content"]) == {"application/json", "application/pdf"}
    assert {"400", "401", "406"} <= set(operation["responses"])
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"country", "from", "to"}
