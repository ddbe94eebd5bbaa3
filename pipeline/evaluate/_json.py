"""Make nested results JSON-safe: numpy scalars to Python, NaN and infinities to ``None``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["json_safe"]


def json_safe(obj: Any, digits: int = 7) -> Any:
    """Return a copy of ``obj`` that :func:`json.dumps` writes without NaN or Infinity.

    Parameters
    ----------
    obj : any
        Nested dicts, lists, tuples, sets, numpy arrays and scalars, pandas Series (a dict
        by label; ``[label, value]`` pairs where a label's text is there twice), DataFrames
        (a list of rows, each alike; an index other than 0, 1, ... in its first columns) and
        Index objects, timestamps.
    digits : int, default 7
        Floats are rounded to this many significant digits (stable, byte-identical output; a
        p-value of 1e-12 stays 1e-12).

    Returns
    -------
    any
        Built from dict, list, str, int, float, bool and None only; a non-finite float and a
        missing time (``NaT``) are None.
    """
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v, digits) for k, v in obj.items()}
    # pandas containers and sets were written as their printed text ("0    1.5\n1    2.0\n
    # dtype: float64"): a Series is its labels and values, a frame its rows, an Index and a
    # set their values (a set sorted, so that the output is byte-identical between runs)
    if isinstance(obj, pd.Series):
        return _labelled(obj.index, obj.to_list(), digits)
    if isinstance(obj, pd.DataFrame):
        if not _default_index(obj.index):  # a groupby's labels are data: its first columns
            obj = obj.reset_index(allow_duplicates=True)
        return [_labelled(obj.columns, list(row), digits) for row in obj.itertuples(index=False)]
    if isinstance(obj, pd.Index):
        return json_safe(obj.to_numpy(), digits)
    if isinstance(obj, set | frozenset):
        return sorted(
            (json_safe(v, digits) for v in obj), key=lambda v: (type(v).__name__, repr(v))
        )
    if isinstance(obj, list | tuple):
        return [json_safe(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        # numpy times by element: tolist() gives nanosecond times as bare integers
        return [json_safe(v, digits) for v in (obj if obj.dtype.kind in "mM" else obj.tolist())]
    if obj is pd.NaT or (isinstance(obj, np.datetime64 | np.timedelta64) and np.isnat(obj)):
        # before the dates: pandas' NaT is a datetime, and was written as the text "NaT"
        return None
    if isinstance(obj, np.timedelta64):  # a numpy integer: int() dropped its unit
        if np.datetime_data(obj.dtype)[0] in ("Y", "M"):
            return str(obj)  # "3 months": no fixed length, pandas refuses them
        return str(pd.Timedelta(obj))
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return float(f"{v:.{digits}g}") if math.isfinite(v) else None
    if isinstance(obj, pd.Timestamp):
        return None if pd.isna(obj) else obj.isoformat()
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    if obj is None or isinstance(obj, str):
        return obj
    if obj is pd.NA:  # a nullable column's missing value: its text was "<NA>"
        return None
    return str(obj)


def _labelled(labels: pd.Index, values: list, digits: int) -> Any:
    """Return ``values`` by their ``labels``: a dict, or ``[label, value]`` pairs.

    A label twice (or two labels of one text, 1 and "1") cannot be a dict's keys: a dict
    kept the last value alone (pandas' ``to_dict`` of a frame warned only), the pairs keep
    them all, in order.
    """
    keys = [str(k) for k in labels]
    if len(set(keys)) == len(keys):
        return {k: json_safe(v, digits) for k, v in zip(keys, values, strict=True)}
    return [[k, json_safe(v, digits)] for k, v in zip(keys, values, strict=True)]


def _default_index(index: pd.Index) -> bool:
    """Return whether ``index`` is pandas' default 0, 1, 2, ... without a name (no labels)."""
    return (
        isinstance(index, pd.RangeIndex)
        and index.name is None
        and index.start == 0
        and index.step == 1
    )
