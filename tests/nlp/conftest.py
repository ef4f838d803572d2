"""The real codebook and gazetteer, loaded once for the whole test session."""

from __future__ import annotations

import pytest

from monitor.nlp.enricher import Enricher


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    return Enricher()
