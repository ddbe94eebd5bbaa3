"""The C libraries' character classes: ASCII case rules whatever the user's locale.

Python sets the process's ``LC_CTYPE`` from the environment at start-up, and the C and C++
libraries under the pipeline (GEOS, GDAL, PROJ) case-fold their keywords with the C
library's ``toupper``/``tolower``, which follow it.  Under a Turkish or Azeri locale
(``tr_TR.UTF-8``, ``az_AZ.UTF-8``) ``i`` does not upper-case to ``I``: GEOS then reads the
WKT ``LineString (0 0, 1 1)`` as the unknown type ``LiNESTRiNG`` (the lanes of a CSV were
rejected as "not WKT geometry" and the run published other tables, exit 0), writes
``LiNESTRiNG`` into the rejects, and under ``tr_TR.ISO-8859-9`` fails to write WKT at all
(a byte that is not UTF-8).  So on import, where the C library's case mapping of ASCII
letters is not C's, ``LC_CTYPE`` is set to ``C.UTF-8`` (or ``C``); Python's own string
methods never depend on it.
"""

from __future__ import annotations

import ctypes
import locale

_replaced: list[str] = []  # the LC_CTYPE the process had before use_ascii_case set it


def ascii_case_is_c() -> bool:
    """Tell whether the C library maps ASCII letters between cases as the C locale does.

    Returns
    -------
    bool
        False when ``toupper``/``tolower`` of some ASCII letter differ from C's (a
        Turkish ``LC_CTYPE``); True when they agree or the C library cannot be asked.
    """
    try:
        libc = ctypes.CDLL(None)  # the C library that GEOS, GDAL and PROJ call
        upper, lower = libc.toupper, libc.tolower
    except (OSError, AttributeError, TypeError):  # no such library (Windows): cannot tell
        return True
    return all(upper(c) == c - 32 for c in range(ord("a"), ord("z") + 1)) and all(
        lower(c) == c + 32 for c in range(ord("A"), ord("Z") + 1)
    )


def use_ascii_case() -> str | None:
    """Set ``LC_CTYPE`` to ``C.UTF-8`` (or ``C``) if ASCII case rules are not C's.

    Returns
    -------
    str or None
        The ``LC_CTYPE`` replaced, or None when it was left as it was.
    """
    if ascii_case_is_c():
        return None
    before = locale.setlocale(locale.LC_CTYPE)
    for name in ("C.UTF-8", "C.utf8", "C"):
        try:
            locale.setlocale(locale.LC_CTYPE, name)
        except locale.Error:
            continue
        _replaced.append(before)
        return before
    return None  # pragma: no cover - the C locale always exists


def replaced_ctype() -> str | None:
    """Return the ``LC_CTYPE`` that :func:`use_ascii_case` first replaced, or None."""
    return _replaced[0] if _replaced else None
