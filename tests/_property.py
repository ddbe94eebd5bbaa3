"""How many examples a property test runs: its CI budget, scaled up by ``make fuzz``."""

from __future__ import annotations

import os

#: ``make fuzz`` sets it (10): each test's examples times this, with random seeds.
SCALE = max(1, int(os.environ.get("ROUTE_RISK_FUZZ_SCALE", "1")))


def examples(n: int) -> int:
    """``n`` examples in CI (the "ci" profile, derandomized); ``SCALE * n`` when fuzzing."""
    return n * SCALE
