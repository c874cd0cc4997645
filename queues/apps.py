from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = _("Border queues")

    def ready(self) -> None:
        # Signal receivers: a changed partner key or estimate replaces what the partner API keeps in the cache.
        from queues import partner_cache  # noqa: F401
        from queues.services import partner_keys  # noqa: F401
