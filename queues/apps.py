from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = _("Border queues")

    def ready(self) -> None:
        # Signal receivers: a changed partner key, crossing, queue or estimate retires what the APIs keep in the cache.
        from queues import answers  # noqa: F401
        from queues.services import partner_keys  # noqa: F401
