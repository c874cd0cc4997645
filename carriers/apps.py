from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CarriersConfig(AppConfig):
    name = "carriers"
    verbose_name = _("Carriers and drivers")

    def ready(self) -> None:
        # Signal receivers: a deleted token, a saved user or a deleted driver forgets the cached token entries.
        from carriers import auth  # noqa: F401
