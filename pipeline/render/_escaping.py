"""One escaping path for every data string of the page, and the script-safe JSON encoder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

# The one escaping path: HTML-special characters, and the characters that would end or
# interpolate a JavaScript string/template literal, become character references.
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "{": "&#123;",
        "}": "&#125;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\u2028": "&#8232;",
        "\u2029": "&#8233;",
        # NUL and lone surrogates (a file name or a YAML "\\uD800" escape decoded badly) are
        # not text: UTF-8 cannot encode a surrogate (the page could not be written) and the
        # HTML parser drops a NUL.  Both show as U+FFFD, as a browser shows &#0; or &#xD800;
        "\x00": "&#65533;",
        **{chr(c): "&#65533;" for c in range(0xD800, 0xE000)},
    }
)


#: Unicode's explicit bidirectional controls: embeddings and overrides (LRE, RLE, PDF, LRO,
#: RLO) and isolates (LRI, RLI, FSI, PDI).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FSI, _PDI = "\u2068", "\u2069"


def _isolated(text: str) -> str:
    """Return ``text`` in a first-strong isolate when it holds bidirectional controls.

    An override the text leaves open (a commodity ``"\u202eevil"``) would otherwise run on to
    the end of the card's row and show the numbers after it mirrored: ``evil: 1, boarded:
    12`` read ``21 :dedraob ,1 :live``.  Inside an isolate every embedding and override ends
    with the isolate (Unicode bidi algorithm, rule X6a).  A PDI of the text that closes no
    isolate of its own would close ours early, so one more FSI is put first for each; the
    PDIs at the end close the isolates the text leaves open and ours.  The text itself is
    kept, character for character, between them.
    """
    if _BIDI_CONTROLS.isdisjoint(text):
        return text
    depth = stray = 0
    for ch in text:
        if ch in "\u2066\u2067\u2068":
            depth += 1
        elif ch == _PDI:
            if depth:
                depth -= 1
            else:
                stray += 1
    return _FSI * (1 + stray) + text + _PDI * (1 + depth)


def escape_text(value) -> str:
    """Return ``value`` as text that is safe in every sink of the map and displays verbatim.

    This is the only escaping function of the page: card texts, popups, layer names, legend,
    title and footer all pass through it.  ``& < > " '`` are HTML-escaped and the characters
    that could end or interpolate a JavaScript literal (backtick, ``$``, backslash, braces,
    CR, LF, U+2028, U+2029) become numeric character references too, so the output contains
    none of them; the browser turns the references back into the original characters.  A
    NUL or a lone surrogate (not text: no UTF-8 for it) becomes the replacement character
    U+FFFD, as the browser shows their references.  A text holding bidirectional controls
    (a right-to-left override) is isolated, so that they cannot reorder what follows it
    on the page (:func:`_isolated`).

    Parameters
    ----------
    value : object
        Any value; ``None`` and missing values (NaN, NaT, ``pd.NA``) give ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)> ${x}")
    '&lt;img src=x onerror=alert(1)&gt; &#36;&#123;x&#125;'
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        if np.ndim(value) == 0 and pd.isna(value):
            return ""
        value = str(value)
    return _isolated(value).translate(_ESCAPES)


def escape_many(values) -> list[str]:
    """Vectorised :func:`escape_text` over a column (missing values become "")."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy()
    # each distinct value once, by Python's str (pandas' str dtype is Arrow's UTF-8: a lone
    # surrogate would raise there)
    values = s.where(~missing, "").to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = np.array([str(v) for v in values], dtype=object)  # 1 and True: two texts
    codes, uniques = pd.factorize(values)
    texts = np.array([_isolated(u).translate(_ESCAPES) for u in uniques], dtype=object)
    return texts[codes].tolist()


def to_js(obj) -> str:
    """Serialise ``obj`` as a JavaScript literal that cannot close its ``<script>``."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
