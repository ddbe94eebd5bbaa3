r"""Text for a terminal or a line-oriented log: one line, nothing in it that acts unseen.

A data string (a file or folder name, a vessel id, an error message quoting a value) is
written into ``status``, ``history``, ``inspect`` summaries and text log lines.  Some
characters are not shown as themselves there but act on what the operator reads:

* C0 and C1 controls (a newline splits a field in two, ESC and U+009B start terminal escape
  sequences, U+0085 is a line break);
* the line and paragraph separators U+2028 and U+2029 (line breaks to Python's
  ``splitlines`` and to some viewers);
* every format character (Unicode category ``Cf``): the bidirectional marks, embeddings,
  overrides and isolates (U+200E/F, U+061C, U+202A-202E, U+2066-2069: a name's U+202E
  reverses the rest of the line, so ``status`` shows "ok" for a run that says "failed") and
  the invisible ones (zero-width space, joiners, word joiner, U+FEFF, the soft hyphen, tag
  characters), which hide part of a name or make two different names look alike.

Each is written as its Python escape (``\n``, ``\x9b``, ``\u202e``, ``\U000e0041``), and
an undecodable byte of a file name (a lone surrogate) as ``\udcff``; every other character,
accented letters and CJK included, is kept as it is.  JSON output is not passed through
this: ``json.dumps`` escapes every non-ASCII character already.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["one_line", "share_to_percent"]

#: The characters that are candidates at all (everything but printable ASCII): the category
#: is looked up for those only, so ASCII text costs one regex scan.
_CANDIDATES = re.compile(r"[^\x20-\x7e]+")

#: The Unicode categories escaped: controls, format characters, line and paragraph
#: separators.
_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _escape_run(match: re.Match[str]) -> str:
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in _ESCAPED else c
        for c in match.group()
    )


def one_line(text: object) -> str:
    r"""Return ``text`` as one line a terminal shows as it is, what acts unseen escaped.

    Parameters
    ----------
    text : object
        The text (``str()`` of anything else).

    Returns
    -------
    str
        The text with its control, format (``Cf``) and line/paragraph separator characters
        written as their escapes and its lone surrogates (undecodable bytes of a file name)
        as ``\udcXX``; encodable as UTF-8.

    Examples
    --------
    >>> one_line("runs/a\nb")
    'runs/a\\nb'
    >>> one_line("report\u202eFDP.exe \u200bé 中文")
    'report\\u202eFDP.exe \\u200bé 中文'
    """
    out = _CANDIDATES.sub(_escape_run, str(text))
    return out.encode("utf-8", "backslashreplace").decode("utf-8")


def share_to_percent(share: float | None, decimals: int = 0) -> str:
    """Return a share (0..1) as a percent that reads 0 % only for 0 and 100 % only for 1.

    Rounding alone prints a Landsat scene covering 0.07 % of an ocean-wide area as "0%" (no
    overlap, read literally) and 4 rejects among 18,623 pings as "0.0%": a share above 0 that
    rounds to 0 is written ``<1%`` (``<0.1%``...), one below 1 that rounds to 100 ``>99%``.
    A missing share (None, NaN) is ``unknown``, never 0.

    Parameters
    ----------
    share : float or None
        The share, 1.0 for all.
    decimals : int
        Decimals of the percent.

    Examples
    --------
    >>> share_to_percent(0.000694), share_to_percent(0.25), share_to_percent(0.9996)
    ('<1%', '25%', '>99%')
    >>> share_to_percent(4 / 18623, 1), share_to_percent(0.0), share_to_percent(None)
    ('<0.1%', '0%', 'unknown')
    """
    import math

    if share is None or not math.isfinite(share):
        return "unknown"
    text = f"{share:.{decimals}%}"
    step = 10.0**-decimals
    if 0 < share and float(text[:-1]) == 0:
        return f"<{step:.{decimals}f}%"
    if share < 1 and float(text[:-1]) >= 100:
        return f">{100 - step:.{decimals}f}%"
    return text
