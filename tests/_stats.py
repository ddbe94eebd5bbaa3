"""Shared inputs of the statistics tests: the fitted model on given factors, real incidents."""

from __future__ import annotations

import pandas as pd

#: Fitted-model options that use only the factors a test gives (no counts, densities, recency).
FACTORS_ONLY = {
    "horizon_days": 30.0,
    "count_windows_days": (),
    "bandwidths_km": (),
    "recency": False,
    "min_history_days": 30.0,
    "selection": "none",
}


def pirate_events(shared_data) -> pd.DataFrame:
    """``pirate_attacks.csv`` without its rows at 0,0 or without a position, with a UTC ``time``."""
    raw = pd.read_csv(
        shared_data / "events" / "pirate_attacks.csv",
        usecols=["date", "longitude", "latitude"],
        na_values=["NA"],
    ).dropna()
    raw = raw[(raw.longitude != 0) | (raw.latitude != 0)]
    return raw.assign(time=pd.to_datetime(raw.date, utc=True))
