"""Quantities as seizure exports write them: ``1,200.5``, ``1.200,5``, ``1 200``, ``300 kg``.

Why not :func:`pandas.to_numeric`: real quantity columns carry grouping separators and units,
and the one reading pandas offers of ``1,200`` (an error) or the one a decimal-comma guess
gives (1.2) loses the seizure or weighs it a thousand times too little.  Here each value is
split into an optional approximation mark (``~``, ``ca.``, ``approx.``), a number and an
optional unit (``kg``, ``cartons``); the decimal mark is decided for the whole column:

* a value only one mark can explain decides: ``12,5`` or ``1.200,5`` (comma), ``2.5`` or
  ``1,200,000`` (point) — a separator followed by other than three digits is a decimal mark,
  two of the same separator are grouping;
* else the file's coordinates decide (``36,512`` in the latitude column);
* values that stay ambiguous (``1,200`` with nothing else to go by) are refused with the
  column and examples, never guessed; evidence both ways is refused too.

A typed number (a numeric spreadsheet cell, a JSON number, a Parquet decimal) is never locale
text: it is read as the number it is, and it is no evidence of a decimal mark, neither of its
own column's nor of the file's.  The readers hand over which cells were typed
(:func:`typed_number_cells`), since they reach this module as text.

Every decision is returned as a report with its evidence (the summary and the manifest).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError

__all__ = ["decimal_mark_of", "parse_quantities", "quantity_fit", "typed_number_cells"]

_GROUP_SPACES = "[ '\u00a0\u202f\u2009]"
#: A unit begins with no digit of any script nor a fraction (``12３``, ``1 ½ t`` are no 12 in
#: the unit '３' or 1 in '½ t'), and an approximation mark may follow it (``3 t (approx.)``:
#: the unit 't', not 't (approx.)', which no unit of mass is and was kept unconverted;
#: ``3 t, approx.`` too); the marks in any case (``Approx. 300 kg`` was refused).  A mark
#: after a unit is a word of its own (``2 chests`` is not 2 'ch', estimated; ``12 kg coca``
#: not 12 'kg co', approximately): spaced or after a comma, or in brackets.
_MARKS = r"(?i:approx\.?|approximately|ca\.?|circa|est\.?|estimated)"
_QTY = (
    r"^\s*(?P<approx>(?i:~|≈|c\.|ca\.?|circa|approx\.?|approximately|about))?\s*"
    r"(?P<num>[+-]?(?:\d[\d.,' \x{a0}\x{202f}\x{2009}]*\d|\d)(?:[eE][+-]?\d+)?)\s*"
    rf"(?:(?P<glued>{_MARKS}|\(\s*{_MARKS}\s*\))"
    r"|(?P<unit>[^\p{N}\s.,+-][^\p{Nd}]*?)??"
    rf"(?P<after>,?\s*\(\s*{_MARKS}\s*\)|(?:\s*,\s*|\s+){_MARKS})?)\s*$"
)
#: Shapes only a decimal comma explains, and only a decimal point.
_COMMA_ONLY = (
    r"^[+-]?\d+,(?:\d{1,2}|\d{4,})$",  # 12,5   0,25   3,1416
    r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$",  # 1.200,5
    r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$",  # 1.200.000
    r"^[+-]?0,\d+$",  # 0,500
)
_POINT_ONLY = (
    r"^[+-]?\d+\.(?:\d{1,2}|\d{4,})$",
    r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$",
    r"^[+-]?\d{1,3}(?:,\d{3}){2,}$",
    r"^[+-]?0\.\d+$",
)
#: One separator before exactly three digits: a decimal or a thousands mark (1,200 / 1.200).
_EITHER = r"^[+-]?\d{1,3}[.,]\d{3}$"


def _match(arr: pa.Array, patterns) -> np.ndarray:
    out = np.zeros(len(arr), dtype=bool)
    for p in (patterns,) if isinstance(patterns, str) else patterns:
        hit = pc.match_substring_regex(arr, p).fill_null(False)
        out |= np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    return out


def quantity_fit(values: pd.Series) -> float:
    """Share of the non-blank ``values`` written as a quantity: a number, maybe with a unit.

    ``1200 kg``, ``1,234.5``, ``~3 kg`` and ``12 cartons`` fit; a word, a date or a
    boolean (a flag, no amount) does not.
    """
    if values.dtype.kind in "fiu":
        return 1.0
    text = values.astype("str").where(values.notna(), "").str.strip()
    text = text[text != ""]
    if not len(text):
        return 0.0
    arr = pa.array(text.to_numpy(dtype=object), type=pa.string())
    got = pc.extract_regex(arr, _QTY)
    return float(np.asarray(got.is_valid().to_numpy(zero_copy_only=False), dtype=bool).mean())


def typed_number_cells(values: pd.Series) -> np.ndarray:
    """Return True for each cell holding a typed number (int, float, Decimal; not a bool).

    A column of numeric dtype is typed throughout; a column of text has no typed cells.
    """
    if values.dtype.kind in "fiuc":
        return np.ones(len(values), dtype=bool)
    if values.dtype.kind != "O":
        return np.zeros(len(values), dtype=bool)
    return values.map(
        lambda v: (
            isinstance(v, int | float | Decimal | np.number) and not isinstance(v, bool | np.bool_)
        )
    ).to_numpy(dtype=bool)


def decimal_mark_of(*columns: pd.Series, typed: Any = ()) -> str | None:
    """Return the decimal mark of the fractions in ``columns`` (e.g. coordinates), if one.

    ``"."`` or ``","`` when values like ``36.512`` or ``36,512`` occur and only one of the
    two; None when neither or both do.  Typed numbers are no evidence: a column of numeric
    dtype is skipped, and so are the cells ``typed`` (one boolean array or None per column)
    marks.
    """
    point = comma = False
    masks = list(typed) + [None] * (len(columns) - len(typed))
    for col, mask in zip(columns, masks, strict=True):
        if col.dtype.kind in "fiub":
            continue
        if mask is not None:
            col = col[~np.asarray(mask, dtype=bool)]
        arr = pa.array(col.astype("str").str.strip().to_numpy(dtype=object), type=pa.string())
        point |= bool(_match(arr, r"^[+-]?\d+\.\d+$").any())
        comma |= bool(_match(arr, r"^[+-]?\d+,\d+$").any())
    if point != comma:
        return "." if point else ","
    return None


def parse_quantities(
    values: pd.Series,
    *,
    file_decimal: str | None = None,
    where: str = "",
    typed: np.ndarray | None = None,
) -> tuple[np.ndarray, pd.Series, dict[str, Any]]:
    """Split quantity text into numbers and units.

    Parameters
    ----------
    values : pandas.Series
        Raw quantities (text or numbers).
    file_decimal : {".", ","}, optional
        The decimal mark the rest of the file uses (:func:`decimal_mark_of` its coordinates);
        decides when the column itself does not.
    where : str
        File and column, for messages.
    typed : numpy.ndarray of bool, optional
        Cells that were typed numbers in the source (written here as text such as ``1.234``
        or ``1e-05``): read as numbers, never as locale text, and no evidence of the mark.

    Returns
    -------
    (numpy.ndarray, pandas.Series, dict)
        Floats (NaN where missing or unparseable), the unit written after each number (""
        where none) and the report: ``decimal_mark``, ``decided_by``, ``grouped`` (values
        with thousands separators), ``approximate`` and ``units_in_values``.

    Raises
    ------
    InputError
        Values such as ``1,200`` that either mark explains, with nothing to decide them, or
        values that decide both ways.
    """
    n = len(values)
    report: dict[str, Any] = {}
    # a column of booleans is no amount: True read 1 kg unsaid; as text it is unparseable
    if values.dtype.kind in "fiu":
        return values.to_numpy(dtype="float64"), pd.Series([""] * n, dtype=object), report
    text = values.astype("str").where(values.notna(), "")
    is_typed = np.zeros(n, dtype=bool) if typed is None else np.asarray(typed, dtype=bool)
    typed_values = pd.to_numeric(text[is_typed].str.strip(), errors="coerce").to_numpy(
        dtype="float64"
    )
    text = text.where(~is_typed, "")
    arr = pa.array(text.to_numpy(dtype=object), type=pa.string())
    got = pc.extract_regex(arr, _QTY)
    matched = np.asarray(got.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    written = pa.array(
        np.where(matched, np.asarray(got.field("num").to_numpy(zero_copy_only=False), object), ""),
        type=pa.string(),
    )
    num = pc.replace_substring_regex(written, _GROUP_SPACES, "")
    comma_only, point_only = _match(num, _COMMA_ONLY), _match(num, _POINT_ONLY)
    either = _match(num, _EITHER)
    n_comma, n_point, n_either = int(comma_only.sum()), int(point_only.sum()), int(either.sum())
    if n_comma and n_point:
        raise InputError(
            f"{where}: quantities use both decimal marks ({n_comma} such as "
            f"{text[comma_only].iloc[0]!r}, {n_point} such as {text[point_only].iloc[0]!r}); "
            "write them one way in the source"
        )
    if n_comma or n_point:
        mark = "," if n_comma else "."
        report["decided_by"] = (
            f"{max(n_comma, n_point)} value(s) such as "
            f"{text[comma_only | point_only].iloc[0]!r} only a decimal "
            f"{'comma' if n_comma else 'point'} explains"
        )
    elif n_either and file_decimal in (".", ","):
        mark = file_decimal
        report["decided_by"] = f"the file's coordinates use the decimal {file_decimal!r}"
    elif n_either:
        examples = list(pd.unique(text[either].to_numpy(dtype=object))[:3])
        raise InputError(
            f"{where}: {n_either} quantit(ies) such as {examples!r} could be thousands "
            "(1,200 = 1200) or decimals (1,200 = 1.2) and nothing in the file decides; write "
            "them without thousands separators in the source"
        )
    else:
        mark = file_decimal or "."
    group = "," if mark == "." else "."
    # a number in scientific notation (1.2E+03, as spreadsheets write) groups no thousands:
    # its point is a decimal point in a file of decimal commas too (it lost its point there
    # and read 12000), and its comma one where the decimal mark is the comma (1,2E+03)
    sci = _match(num, r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
    if mark == ",":
        sci |= _match(num, r"^[+-]?\d+,\d+[eE][+-]?\d+$")
    grouped = ~sci & (
        _match(num, rf"\d\{group}\d{{3}}") | _match(written, rf"\d{_GROUP_SPACES}\d{{3}}")
    )
    clean = pc.replace_substring(num, group, "")
    if mark == ",":
        clean = pc.replace_substring(clean, ",", ".")
    clean = pc.if_else(pa.array(sci), pc.replace_substring(num, ",", "."), clean)
    out = pd.to_numeric(
        pd.Series(clean.to_numpy(zero_copy_only=False), dtype=object), errors="coerce"
    ).to_numpy(dtype="float64", copy=True)
    # a shape the grouping rules do not allow (1,20,0) stays unparseable; so does one
    # grouped by spaces or apostrophes other than in threes (1 20 and 5 10 read 120 and 510)
    well_formed = sci | _match(num, rf"^[+-]?(?:\d{{1,3}}(?:\{group}\d{{3}})+|\d+)(?:\{mark}\d+)?$")
    spaced = _match(written, _GROUP_SPACES)
    well_formed &= ~spaced | _match(
        written, rf"^[+-]?\d{{1,3}}(?:{_GROUP_SPACES}\d{{3}})+(?:\{mark}\d+)?$"
    )
    out[~(matched & well_formed)] = np.nan
    if is_typed.any():
        out[is_typed] = typed_values
        report["typed_numbers"] = int(is_typed.sum())
    unit = pd.Series(got.field("unit").to_numpy(zero_copy_only=False), dtype=object)
    unit = unit.where(matched & unit.notna().to_numpy(), "").fillna("").astype(object)
    approx = matched & (
        (np.asarray(got.field("approx").to_numpy(zero_copy_only=False), dtype=object) != "")
        | (np.asarray(got.field("after").to_numpy(zero_copy_only=False), dtype=object) != "")
        | (np.asarray(got.field("glued").to_numpy(zero_copy_only=False), dtype=object) != "")
    )
    report["decimal_mark"] = mark
    if grouped.any():
        report["grouped"] = int(grouped.sum())
    if approx.any():
        report["approximate"] = int(approx.sum())
    units = unit[unit != ""].str.strip().str.lower().value_counts()
    if len(units):
        report["units_in_values"] = {str(k): int(v) for k, v in units.items()}
    return out, unit.str.strip(), report
