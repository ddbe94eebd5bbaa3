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

__all__ = ["one_line"]

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
