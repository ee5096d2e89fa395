"""Fixtures shared by the newsletter tests: an editor who may send, and one newsletter."""

import pytest

from apps.accounts.models import User
from apps.newsletter.models import Newsletter
from tests.factories.newsletter import NewsletterFactory
from tests.newsletter.sending import make_editor


@pytest.fixture
def editor() -> User:
    return make_editor()


@pytest.fixture
def letter() -> Newsletter:
    return NewsletterFactory.create()
