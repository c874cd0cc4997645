from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import partner_api
from core import errors, health, metrics

api_v1 = [
    path("", include("carriers.api.urls")),
    path("", include("queues.api.urls")),
    path("", include("stays.api.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, so the page can run under a CSP.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/partner/v1/", partner_api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask every site for /favicon.ico; the pages that name no icon (the admin) get Kezek's.
    path("favicon.ico", RedirectView.as_view(url=static("kezek/favicon.svg"), permanent=True), name="favicon"),
    # The site root (and the admin's "View site") is the workplace.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    # Anything else under /api/ is the contract's 404, also with DEBUG on (Django would answer its HTML page).
    re_path(r"^api/", errors.not_found_view),
]

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"
