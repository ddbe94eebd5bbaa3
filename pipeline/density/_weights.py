"""Point weights of seizures: commodity weight × quantity × exponential time decay."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from .. import schema
from ..errors import ConfigError, InputError


def seizure_weights(
    seizures: pd.DataFrame,
    *,
    as_of: datetime | pd.Timestamp | None = None,
    half_life_days: float | None = None,
    use_quantity: bool = False,
    commodity_weights: Mapping[str, float] | None = None,
    decay_from: datetime | pd.Timestamp | None = None,
) -> np.ndarray:
    """Weight of each seizure: commodity weight × quantity × exponential time decay.

    Parameters
    ----------
    seizures : pandas.DataFrame
        Seizures table (:mod:`pipeline.schema`): needs ``time`` for decay, ``quantity`` for
        ``use_quantity`` and ``commodity`` for ``commodity_weights``.
    as_of : datetime, Timestamp or date string, optional
        Analysis date (naive times are taken as UTC).  Events after ``as_of`` get weight 0
        (they are in its future; they are kept, so the weights stay aligned with the rows).
        Required with ``half_life_days``.  An ``as_of`` before every event is an error
        (every weight 0 would be a density of zero, where there is no data at all).
    half_life_days : float, optional
        Half-life of the decay ``0.5 ** (age_days / half_life_days)``; None: no decay.
    use_quantity : bool, default False
        Multiply by ``quantity`` (see :func:`seizure_quantities`: a missing quantity takes the
        median of its commodity's known ones, never 1 or 0); a negative one is an error.
    commodity_weights : mapping of str to float, optional
        Weight per commodity (case-insensitive, surrounding blanks ignored); commodities not
        listed weigh ``commodity_weights["default"]`` if given, else 1.
    decay_from : datetime or Timestamp, optional
        Count the decay's ages from this time instead of ``as_of`` (events after ``as_of``
        still weigh 0): the weights are then ``0.5 ** ((as_of - decay_from) / half_life)``
        times the ones from ``as_of``, a factor common to all, which
        :func:`decay_anchor` uses to keep a night's weights those of the night before.

    Returns
    -------
    numpy.ndarray of float64
        One non-negative weight per row.

    Raises
    ------
    InputError
        ``as_of`` precedes every seizure, a time is missing or numeric, a bad quantity.
    ConfigError
        A bad ``half_life_days``, ``as_of`` or commodity weight.
    """
    n = len(seizures)
    w = np.ones(n)
    hl = None
    if half_life_days is not None:
        try:
            hl = float(half_life_days)
        except (TypeError, ValueError):
            hl = float("nan")
        if not np.isfinite(hl) or hl <= 0:
            raise ConfigError(f"half_life_days must be > 0, got {half_life_days!r}")
        if as_of is None:
            raise ConfigError("half_life_days needs as_of (no hidden 'now'), got as_of=None")
    if as_of is not None:
        schema.require_columns(seizures, [schema.TIME], "seizures")
        try:
            ref = pd.Timestamp(as_of)
        except (TypeError, ValueError):
            raise ConfigError(f"as_of must be a date or timestamp, got {as_of!r}") from None
        ref = ref.tz_localize("UTC") if ref.tzinfo is None else ref.tz_convert("UTC")
        raw_times = seizures[schema.TIME]
        if pd.api.types.is_numeric_dtype(raw_times.dtype) and raw_times.notna().any():
            raise InputError(
                f"seizures column {schema.TIME!r} holds numbers ({raw_times.dtype}), not dates; "
                "convert them with pd.to_datetime(..., unit='s' or 'ms', utc=True)"
            )
        times = pd.to_datetime(raw_times, utc=True)
        if times.isna().any():
            i = int(np.flatnonzero(times.isna().to_numpy())[0])
            raise InputError(f"seizures row {i}: time is missing; as_of needs every time")
        age = (ref - times).dt.total_seconds().to_numpy() / 86400.0
        if n and not (age >= 0).any():
            # every weight 0: a density of zero everywhere, which reads as "no seizure risk";
            # before the first record there is no seizure data (missing, not zero)
            raise InputError(
                f"as_of {ref.isoformat()} is before every seizure (the {n} seizure(s) are "
                f"dated {times.min().isoformat()} to {times.max().isoformat()}): every weight "
                "would be 0 and the density zero everywhere, not 'no data'; give as_of on or "
                "after the first seizure, or only the seizures up to as_of (none: no density)"
            )
        decay: float | np.ndarray
        if hl is None:
            decay = 1.0
        elif decay_from is None:
            decay = 0.5 ** (np.maximum(age, 0.0) / hl)
        else:
            start = pd.Timestamp(decay_from)
            start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
            since = (start - times).dt.total_seconds().to_numpy() / 86400.0
            # an event after as_of weighs 0 (below); its power from decay_from, 2 ** 1024 and
            # more (numpy's overflow warning in a run's log) a few years on, is not taken
            decay = 0.5 ** (np.where(age >= 0, since, 0.0) / hl)
        w = np.where(age >= 0, decay, 0.0)
        if hl is not None and (age >= 0).any() and not 0.5 ** (age[age >= 0].min() / hl) > 0:
            # every weight underflowed: the density would be 0 everywhere, silently
            raise ConfigError(
                f"half_life_days {half_life_days!r}: every seizure's weight decays to 0 (the "
                f"newest is {float(age[age >= 0].min()):.3g} days before as_of); use a longer "
                "half-life, or null for no decay"
            )
    if use_quantity:
        w = w * seizure_quantities(seizures)[0]
    if commodity_weights:
        schema.require_columns(seizures, [schema.COMMODITY], "seizures")
        table = {str(k).strip().lower(): float(v) for k, v in commodity_weights.items()}
        bad_keys = [k for k, v in table.items() if not np.isfinite(v) or v < 0]
        if bad_keys:
            raise ConfigError(
                f"commodity_weights must be finite and >= 0, got {bad_keys[0]!r}: "
                f"{table[bad_keys[0]]!r}"
            )
        default = table.pop("default", 1.0)
        names = seizures[schema.COMMODITY].astype("string").str.strip().str.lower()
        cw = names.map(table).astype("float64").fillna(default).to_numpy()
        w = w * cw
    return w


def seizure_quantities(seizures: pd.DataFrame) -> tuple[np.ndarray, str | None]:
    """Each seizure's quantity for weighting, and a sentence on the missing ones.

    A missing quantity is not 1 (beside seizures of hundreds of kilograms that is next to
    nothing) nor 0: it takes the median of the known quantities of its commodity, or of all
    seizures when its commodity has none known.  Quantities are compared within a commodity
    because units differ between them (kilograms of cocaine, cartons of cigarettes).

    Returns
    -------
    (numpy.ndarray, str or None)
        Quantities (float64, ≥ 0) and, when some were missing, what was filled in.

    Raises
    ------
    InputError
        A negative or infinite quantity, or no seizure with a known quantity.
    """
    schema.require_columns(seizures, [schema.QUANTITY], "seizures")
    raw = seizures[schema.QUANTITY]
    truth = pd.api.types.is_bool_dtype(raw.dtype)
    if raw.dtype == object:
        truth = bool(raw.map(type).isin([bool, np.bool_]).any())
    if truth:
        # True/False is no amount: as 1 and 0 it would weigh a "yes" as one unit and a "no"
        # as nothing, a quantity read quietly wrong
        raise InputError(
            f"seizures: quantity holds true/false values (dtype {raw.dtype}), not amounts; "
            "give the amount seized in one unit, or drop the column"
        )
    parsed = pd.to_numeric(raw, errors="coerce")
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype):
        # text that is no number ("1,200", "12 kg") is not a missing quantity: filling it
        # with the median would replace a known amount without a word
        from ..ingest._common import MISSING_TOKENS

        text = raw.astype("string").str.strip()
        # a placeholder ("N/A", "-", "nan") is a missing quantity, as the readers take it
        placeholder = text.str.lower().isin(MISSING_TOKENS).fillna(False)
        unparsed = np.flatnonzero((parsed.isna() & text.notna() & ~placeholder).to_numpy())
        if unparsed.size:
            i = int(unparsed[0])
            raise InputError(
                f"seizures row {i}: quantity {raw.iloc[i]!r} is not a number ({unparsed.size} "
                "such rows); convert the column to numbers (pd.to_numeric) in one unit, or "
                "read the file with pipeline.read_seizures"
            )
    q = parsed.to_numpy(dtype="float64", na_value=np.nan)
    bad = np.flatnonzero(q < 0)
    if bad.size:
        raise InputError(
            f"seizures row {int(bad[0])}: quantity {float(q[bad[0]])!r} is negative; expected >= 0"
        )
    # an infinite quantity is no amount (pipeline.read_seizures rejects it); as a weight it
    # would also be the median filled into its commodity's missing quantities
    bad = np.flatnonzero(np.isinf(q))
    if bad.size:
        raise InputError(
            f"seizures row {int(bad[0])}: quantity {float(q[bad[0]])!r} is infinite; "
            "expected a finite number >= 0"
        )
    missing = np.isnan(q)
    if not missing.any():
        return q, None
    if missing.all():
        raise InputError(
            "density.use_quantity is true but no seizure has a quantity; set it to false or "
            "map the quantity column (inputs.seizures[].columns)"
        )
    if schema.COMMODITY in seizures.columns:
        kind = seizures[schema.COMMODITY].astype("string").str.strip().str.lower()
        kind = kind.fillna("").to_numpy(dtype=object)
    else:
        kind = np.full(len(q), "", dtype=object)
    known = pd.Series(q[~missing]).groupby(kind[~missing]).median()
    overall = float(np.median(q[~missing]))
    fill = pd.Series(kind[missing]).map(known).to_numpy(dtype="float64")
    by_all = int(np.isnan(fill).sum())
    fill = np.where(np.isnan(fill), overall, fill)
    out = q.copy()
    out[missing] = fill
    note = (
        f"{int(missing.sum())} of {len(q)} seizures have no quantity: each weighs the median "
        f"quantity of its commodity's known ones"
        + (
            f" ({by_all} of them, whose commodity has none, the median of all: {overall:g})"
            if by_all
            else ""
        )
    )
    return out, note


#: Half-lives per period of :func:`decay_anchor`: weights from the anchor stay within
#: 2**±256 over a period, far inside float64's range.
_ANCHOR_HALF_LIVES = 256


def decay_anchor(
    as_of: datetime | pd.Timestamp, half_life_days: float
) -> tuple[pd.Timestamp, float]:
    """Return the time a density's decay is counted from for ``as_of``, and the factor to it.

    Weights decayed from ``as_of`` all change when ``as_of`` moves a day, and with them every
    map tile of a run's density memo.  Decayed from a fixed anchor (the start of the period
    of ``256 * half_life_days`` days since 1970 that holds ``as_of``) they stay the same, the
    density is the kernel sum times the factor ``0.5 ** ((as_of - anchor) / half_life_days)``,
    and a night recomputes only the tiles near new seizures.  The anchor depends only on
    ``as_of`` and the half-life, so a full run computes the same bits.

    Raises
    ------
    ConfigError
        A half-life that is not a finite number > 0.

    Examples
    --------
    >>> anchor, factor = decay_anchor(pd.Timestamp("2026-06-30", tz="UTC"), 365.0)
    >>> str(anchor), bool(np.isclose(factor, 0.5 ** (20634 / 365.0)))  # 20,634 days since
    ('1970-01-01 00:00:00+00:00', True)
    >>> decay_anchor(pd.Timestamp("2026-06-30"), 1.0)[0] <= pd.Timestamp("2026-06-30", tz="UTC")
    True
    """
    hl = float(half_life_days)
    if not (np.isfinite(hl) and hl > 0):
        # 0 divided by zero; a negative half-life put the anchor after as_of
        raise ConfigError(f"half_life_days must be > 0, got {half_life_days!r}")
    t = pd.Timestamp(as_of)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    period = _ANCHOR_HALF_LIVES * hl  # days
    days = (t - epoch).total_seconds() / 86400.0
    anchor = epoch + pd.Timedelta(days=float(np.floor(days / period) * period))
    factor = 0.5 ** ((t - anchor).total_seconds() / 86400.0 / hl)
    return anchor, float(factor)
