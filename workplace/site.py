"""The admin site: the dispatchers' workplace.

Its home is the fleet risk board; the usual list of apps stays one click away at ``apps/``. The workplace
pages (crossings dashboard, alerts inbox, language switch) are served by this site, so they share its
sign-in, CSRF and never-cache wrapping and the carrier boundary of ``carriers.admin_tenancy``.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

# Each language named in itself, as a language switcher shows them; these are deliberately not translated.
LANGUAGE_AUTONYMS = {"en": "English", "ru": "Русский", "kk": "Қазақша"}


class KezekAdminSite(admin.AdminSite):
    site_header = _("Kezek — dispatcher workplace")
    site_title = _("Kezek")
    index_title = _("Fleet")

    def has_permission(self, request):
        """Active staff may enter; what each sees is cut to their carrier by the model admins."""
        return request.user.is_active and request.user.is_staff

    def each_context(self, request):
        context = super().each_context(request)
        context["workplace_languages"] = [
            (code, LANGUAGE_AUTONYMS.get(code, str(name))) for code, name in settings.LANGUAGES
        ]
        return context

    def get_urls(self):
        from workplace import views

        def page(view):
            def serve(request, *args, **kwargs):
                return view(request, *args, site=self, **kwargs)

            serve.__name__ = view.__name__
            return self.admin_view(serve)

        workplace = [
            path("apps/", self.admin_view(self.app_index_all), name="workplace_apps"),
            path("workplace/crossings/", page(views.crossings_dashboard), name="workplace_crossings"),
            path("workplace/planner/", page(views.trip_planner), name="workplace_planner"),
            path("workplace/alerts/", page(views.alerts_inbox), name="workplace_alerts"),
            path("workplace/alerts/read/", page(views.alerts_mark_read), name="workplace_alerts_read"),
            path("workplace/language/", page(views.language_set), name="workplace_language"),
        ]
        return workplace + super().get_urls()

    def index(self, request, extra_context=None):
        """The fleet risk board (the dispatcher's first screen)."""
        from workplace import views

        return views.fleet_board(request, site=self)

    def app_index_all(self, request, extra_context=None):
        """Django's own index: every app and model this user may use."""
        return super().index(request, extra_context={"title": _("All sections"), **(extra_context or {})})

    def login(self, request, extra_context=None):
        """Signs in; a dispatcher then gets the language they chose last time, on any browser."""
        response = super().login(request, extra_context)
        user = request.user
        if request.method == "POST" and response.status_code == 302 and user.is_authenticated:
            dispatcher = getattr(user, "dispatcher", None)
            if dispatcher is not None and dispatcher.language in dict(settings.LANGUAGES):
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    dispatcher.language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    domain=settings.LANGUAGE_COOKIE_DOMAIN,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
        return response
