"""Category labels (commodity, hostility, attack type) normalised so one thing is one factor.

Real incident logs spell one category many ways: ``PIRATES``, ``Pirates`` and ``pirates `` in
the same ASAM export; ``Boarded``/``boarded`` in IMB-derived files; composed and decomposed
accents (``cocaína`` typed on two keyboards).  Each would otherwise become its own factor and
its own line of every explain card.  Normalisation is trim, Unicode NFC, case-fold and inner
whitespace collapsed to one space; a ``synonyms`` map (normalised the same way) then merges
spellings the user names.  The original spelling is kept beside the label.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

__all__ = ["normalise_categories", "normalise_category"]


def normalise_category(text: object) -> str:
    r"""Return one label trimmed, NFC-composed, case-folded, inner whitespace collapsed.

    Examples
    --------
    >>> normalise_category("  PIRATES ")
    'pirates'
    >>> normalise_category("Cocai\u0301na") == normalise_category("Cocaína")
    True
    """
    s = unicodedata.normalize("NFC", str(text))
    return " ".join(s.split()).casefold()


def normalise_categories(
    labels: pd.Series, synonyms: dict[str, str] | None = None
) -> tuple[pd.Series, dict[str, Any]]:
    """Normalise a column of labels and apply ``synonyms``; return labels and a report.

    Parameters
    ----------
    labels : pandas.Series of str
        Raw labels (already stripped of control characters; ``""`` for missing).
    synonyms : dict, optional
        Normalised spelling -> normalised label.

    Returns
    -------
    labels : pandas.Series of str
        Normalised labels; ``""`` stays ``""``.
    report : dict
        ``merged``: normalised label -> the distinct original spellings it gathers (only
        labels with more than one); ``synonyms_applied``: spelling -> label actually used.

    Notes
    -----
    Works on the distinct labels only, then maps them back (a category column has few).
    """
    text = labels.astype("str")
    uniq = pd.unique(text.to_numpy(dtype=object))
    syn = synonyms or {}
    table: dict[str, str] = {}
    applied: dict[str, str] = {}
    for u in uniq:  # distinct labels only
        norm = normalise_category(u)
        if norm in syn:
            applied[norm] = syn[norm]
            norm = syn[norm]
        table[str(u)] = norm
    out = text.map(table)
    groups: dict[str, list[str]] = {}
    for original, norm in table.items():
        if norm:
            groups.setdefault(norm, []).append(original)
    merged = {k: sorted(v) for k, v in sorted(groups.items()) if len(v) > 1}
    return out.astype("object"), {
        "merged": merged,
        "synonyms_applied": dict(sorted(applied.items())),
    }
