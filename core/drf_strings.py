"""Corrects Django REST framework's Russian and Kazakh catalogues where the driver API's answers would show them.

DRF's ``ru`` and ``kk`` catalogues leave English words inside some messages ("Date пішімі дұрыс емес",
"Неправильный формат date", "Ожидался dictionary"). This module only lists those msgids, verbatim, so that
``makemessages`` keeps them in ``locale/<lang>/LC_MESSAGES/django.po``, where our translations live.
``LOCALE_PATHS`` take precedence over the apps' catalogues, so ours win at run time.

Nothing imports this module. Keep a msgid here as long as DRF's catalogue garbles it; compare with DRF's own
catalogues after upgrades (``tests/api/test_translations.py`` checks the answers).
"""

from django.utils.translation import gettext_noop

DRF_CORRECTIONS = (
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("This field may not be null."),
)
