"""The partner API: its own NinjaAPI instance, auth, version and namespace."""

from ninja import NinjaAPI

partner_api = NinjaAPI(
    title="Kezek partner API",
    version="1.0.0",
    urls_namespace="partner",
    description="Border wait estimates for logistics firms. Aggregates only; never a driver's data.",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
