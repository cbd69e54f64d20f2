"""The catalogs, loaded once for every flow test that renders replies."""

from __future__ import annotations

import pytest

from locales import Translations


@pytest.fixture(scope="session")
def translations() -> Translations:
    return Translations()
