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


#: The longest text the page shows of one value, in characters.  A note of a seizure or a
#: category is a sentence or a paragraph; a hostile or broken file can hold a cell of
#: megabytes, which would be written once per point (20,000 seizure points of a 200,000-character
#: note: a page of gigabytes).  Longer texts are cut here, marked, and kept whole in the tables.
MAP_TEXT_LIMIT = 1000


def _shortened(text: str) -> str:
    """Return ``text`` cut to :data:`MAP_TEXT_LIMIT` characters, marked, when it is longer.

    >>> _shortened("x" * 1003)[-28:]
    'x… (+3 characters not shown)'
    """
    if len(text) <= MAP_TEXT_LIMIT:
        return text
    return f"{text[:MAP_TEXT_LIMIT]}… (+{len(text) - MAP_TEXT_LIMIT:,} characters not shown)"


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
    on the page (:func:`_isolated`).  A text longer than :data:`MAP_TEXT_LIMIT` characters
    shows its first ones and how many more it has (:func:`_shortened`).

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
    return _isolated(_shortened(value)).translate(_ESCAPES)


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
    texts = np.array([_isolated(_shortened(u)).translate(_ESCAPES) for u in uniques], dtype=object)
    return texts[codes].tolist()


def to_js(obj) -> str:
    """Serialise ``obj`` as a JavaScript literal that cannot close its ``<script>``."""
    text = compact_json(obj)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def compact_json(obj) -> str:
    """Return ``json.dumps(obj, separators=(",", ":"), ensure_ascii=True)``, sooner.

    The map's payloads hold a list of floats per column (40,897 values each on the demo, 40
    of them): ``json`` writes each float's ``repr`` one by one (8 ms a list).  A long list of
    Python floats (and None) is formatted by Arrow instead (:func:`pipeline.io.floats_to_reprs`,
    bit for bit ``repr``), and so is a long list of Python ints, and spliced into the text
    ``json`` writes of the rest; NaN and infinities (``NaN``, ``Infinity`` in Python's
    JSON) stay with ``json``.  The text is the same.
    """
    lists: list[str] = []
    skeleton = _lifted(obj, lists)
    text = json.dumps(skeleton, separators=(",", ":"), ensure_ascii=True)
    if not lists:
        return text
    parts = text.split(_MARK_JSON)
    if len(parts) != len(lists) + 1:  # the mark is in the data too: nothing is spliced
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    out = [parts[0]]
    for raw, after in zip(lists, parts[1:], strict=True):
        out += [raw, after]
    return "".join(out)


#: Lists shorter than this are written by ``json`` (Arrow's formatting pays for itself above).
_ARROW_LIST = 1024
#: What stands for a list formatted by Arrow in the text ``json`` writes (then replaced).
_MARK = "\x00route-risk float list\x00"
_MARK_JSON = json.dumps(_MARK, ensure_ascii=True)
_CONTAINERS = frozenset({dict, list, tuple})


def _lifted(obj, lists: list[str]):
    """Return ``obj`` with each long list of floats replaced by :data:`_MARK` (its text kept)."""
    if type(obj) is dict:
        return {k: _lifted(v, lists) for k, v in obj.items()}
    if type(obj) is list or type(obj) is tuple:
        kinds = set(map(type, obj))
        if len(obj) >= _ARROW_LIST and kinds and kinds <= {float, type(None)}:
            raw = _floats_json(obj, type(None) in kinds)
        elif len(obj) >= _ARROW_LIST and kinds == {int}:
            raw = _ints_json(obj)
        else:
            raw = None
        if raw is not None:
            lists.append(raw)
            return _MARK
        if kinds.isdisjoint(_CONTAINERS):
            return obj  # numbers and texts: json writes them
        return [_lifted(v, lists) for v in obj]
    return obj


def _floats_json(values: list | tuple, nones: bool) -> str | None:
    """JSON text of a list of Python floats (and None if ``nones``), by Arrow.

    None when a value is NaN or infinite (a float, not None): ``json`` writes those.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..io import floats_to_reprs

    a = np.array(values, dtype="float64")  # None: NaN
    missing = np.isnan(a)
    n_missing = int(missing.sum())
    if n_missing != (values.count(None) if nones and n_missing else 0):
        return None  # a float NaN: json writes NaN
    if not np.isfinite(a[~missing] if n_missing else a).all():
        return None  # json writes Infinity
    texts = floats_to_reprs(a)
    if n_missing:
        texts = pc.if_else(pa.array(missing), pa.scalar("null", pa.large_string()), texts)
    return _joined(texts)


def _ints_json(values: list | tuple) -> str | None:
    """JSON text of a list of Python ints, by Arrow; None beyond 64 bits."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        a = np.array(values, dtype="int64")
    except OverflowError:
        return None
    return _joined(pc.cast(pa.array(a), pa.large_string()))


def _joined(texts) -> str:
    """``[a,b,...]`` of Arrow texts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.LargeListArray.from_arrays(pa.array([0, len(texts)], pa.int64()), texts)
    return "[" + pc.binary_join(whole, pa.scalar(",", pa.large_string()))[0].as_py() + "]"
