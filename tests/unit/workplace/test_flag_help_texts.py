"""The internal flags a dispatcher or operator meets in the admin say in plain words what they mean, in each
language of the workplace."""

import pytest
from django.utils import translation

from carriers.models import Driver
from queues.models import Report

FLAGS = [(Driver, "trusted"), (Driver, "reliability"), (Report, "trusted")]


@pytest.mark.parametrize(("model", "name"), FLAGS)
@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_each_internal_flag_has_a_plain_help_text_in_each_language(model, name, language):
    field = model._meta.get_field(name)
    with translation.override("en"):
        english = str(field.help_text)
    with translation.override(language):
        text = str(field.help_text)
    assert len(text.split()) >= 8, (model.__name__, name)
    if language != "en":
        assert text != english, f"{model.__name__}.{name} has no {language} help text"
