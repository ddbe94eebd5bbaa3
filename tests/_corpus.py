"""The adversarial ingest corpus (tests/data/ingest, see its README), shared by the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "data" / "ingest"

#: Module mark of the ingest tests: the readers' dependencies emit PendingDeprecationWarning.
IGNORE_PENDING_DEPRECATION = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
