"""Review of the thirteenth day's merged diff (3b59b5f..main): quiet wrong values found.

- ``live_digest`` (a notebook factor's code and the globals it reads) pickled a global that
  is no function: a dict or list of the notebook's functions, or an instance of a class of
  the notebook.  Pickle names a function or class of ``__main__`` by its name alone, so a
  helper or a method defined again with other code (its cells run again) left the digest as
  it was, and the run's cache served the values of the code before.  The pickle was also
  made whole in memory to be hashed (a 320 MB table read by the factor: 305 MB more).
"""

from __future__ import annotations

import sys
import tracemalloc
import types

import numpy as np
import pandas as pd
import pytest

from pipeline.factors import live_digest


def _cell(module: types.ModuleType, source: str) -> None:
    """Run ``source`` in ``module`` as a notebook cell runs it (no file, no kept source)."""
    exec(compile(source, "<stdin>", "exec"), module.__dict__)


@pytest.fixture
def notebook():
    """A module without a file that ``sys.modules`` holds, as a kernel's ``__main__`` is."""
    nb = types.ModuleType("review13_notebook")
    nb.__dict__["np"] = np
    sys.modules[nb.__name__] = nb
    yield nb
    sys.modules.pop(nb.__name__, None)


HELPERS = {
    "a dict of functions": (
        "def gauss(d):\n    return d * {k}\nKERNELS = {{'g': gauss}}\n",
        "def f(ctx):\n    return KERNELS['g'](ctx)\n",
    ),
    "a list of functions": (
        "def one(x):\n    return x + {k}\nSTEPS = [one, abs]\n",
        "def f(ctx):\n    return [s(ctx) for s in STEPS]\n",
    ),
    "an instance of a class": (
        "class Scaler:\n    def __init__(self, k):\n        self.k = k\n"
        "    def scale(self, x):\n        return x * self.k + {k}\nSCALER = Scaler(2)\n",
        "def f(ctx):\n    return SCALER.scale(ctx)\n",
    ),
}


@pytest.mark.parametrize("held", list(HELPERS))
def test_a_notebook_function_held_in_a_global_is_hashed_by_its_code(notebook, held):
    helper, factor = HELPERS[held]
    _cell(notebook, helper.format(k=1))
    _cell(notebook, factor)
    first = live_digest(notebook.f)
    assert live_digest(notebook.f) == first  # nothing changed: the cache is used
    _cell(notebook, helper.format(k=2))  # the helper's cell run again with other code
    edited = live_digest(notebook.f)
    assert edited != first
    _cell(notebook, helper.format(k=1))  # back as it was: the cache of then is right again
    assert live_digest(notebook.f) == first


def test_a_large_table_a_notebook_function_reads_is_hashed_without_a_copy(notebook):
    n = 4_000_000  # 64 MB of data
    notebook.BIG = pd.DataFrame({"a": np.arange(n, dtype=float), "b": np.arange(n)})
    _cell(notebook, "def f(ctx):\n    return BIG['a']\n")
    tracemalloc.start()
    try:
        first = live_digest(notebook.f)
        grew_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert grew_mb < 16, f"hashing the table took {grew_mb:.0f} MB more"
    notebook.BIG.iloc[n // 2, 0] = -1.0  # one value changed in place
    assert live_digest(notebook.f) != first


def test_a_helper_many_calls_down_is_followed(notebook):
    """``f`` calls ``g11``, which calls ``g10`` ... ``g0``: at a limit of 8 levels ``g0`` was
    named, not hashed, and editing it kept the digest (the cache's values of the old ``g0``)."""
    chain = "".join(f"def g{i}(x):\n    return g{i - 1}(x)\n" for i in range(1, 12))
    _cell(notebook, "def g0(x):\n    return x\n" + chain + "def f(ctx):\n    return g11(ctx)\n")
    first = live_digest(notebook.f)
    assert live_digest(notebook.f) == first
    _cell(notebook, "def g0(x):\n    return x + 1\n")
    assert live_digest(notebook.f) != first
    _cell(notebook, "def g0(x):\n    return x\n")
    assert live_digest(notebook.f) == first


def test_a_helper_beyond_the_followed_depth_is_a_miss_never_stale(notebook):
    """Deeper than the digest follows: each digest is new (computed again), never the old."""
    chain = "".join(f"def g{i}(x):\n    return g{i - 1}(x)\n" for i in range(1, 60))
    _cell(notebook, "def g0(x):\n    return x\n" + chain + "def f(ctx):\n    return g59(ctx)\n")
    first = live_digest(notebook.f)
    _cell(notebook, "def g0(x):\n    return x + 1\n")
    _cell(notebook, "def g0(x):\n    return x\n")
    assert live_digest(notebook.f) != first


def test_a_global_that_cannot_be_pickled_is_a_miss_not_its_repr(notebook, tmp_path):
    """A notebook factor reads an open raster (``SRC = rasterio.open(...)``), which pickle
    refuses: the digest held its repr, ``<open DatasetReader name='...' mode='r'>``, the same
    after the file was written again with other values and opened again: stale values."""
    rasterio = pytest.importorskip("rasterio")
    from affine import Affine

    path = tmp_path / "depth.tif"

    def write(value: float) -> None:
        profile = {"driver": "GTiff", "height": 2, "width": 2, "count": 1, "dtype": "float32"}
        with rasterio.open(path, "w", transform=Affine(1, 0, 0, 0, -1, 2), **profile) as dst:
            dst.write(np.full((1, 2, 2), value, dtype="float32"))

    write(1.0)
    notebook.rasterio = rasterio
    _cell(notebook, f"SRC = rasterio.open({str(path)!r})\n")
    _cell(notebook, "def f(ctx):\n    return SRC.read(1).mean()\n")
    first = live_digest(notebook.f)
    notebook.SRC.close()
    write(5.0)
    _cell(notebook, f"SRC = rasterio.open({str(path)!r})\n")
    try:
        assert live_digest(notebook.f) != first
    finally:
        notebook.SRC.close()


# ------------------------------------------------------------------ zone name and offset


@pytest.mark.parametrize(
    "text",
    [
        "05 Mar 2024 14:00 EST-0500",  # was 09:00 UTC: dateutil's POSIX sign, 10 h off
        "05 Mar 2024 14:00 EST-5",
        "05 Mar 2024 14:00 XYZ+0200",  # an unknown name: was 16:00 UTC, the sign turned
        "Tue, 05 Mar 2024 14:00:00 +0200 (CET)",  # was 13:00 UTC: CET's, not the +0200
        "12 Jan 2024 10:30 CET +02:00",
    ],
)
def test_a_zone_name_with_an_offset_that_does_not_tell_the_instant_is_refused(text):
    """A free-text date naming a zone and an offset was read by the name where the two
    disagree, and with dateutil's POSIX sign (``EST-0500``: 5 h east) where the offset is
    joined to the name: a wrong instant, counted as read.  Now unparseable (a reject)."""
    from pipeline.ingest._dates import parse_times

    got = parse_times(pd.Series([text], dtype=object), dayfirst=True)
    assert got.unparseable.tolist() == [True], got.times.tolist()


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Tue, 05 Mar 2024 14:00:00 -0500 (EST)", "2024-03-05 19:00"),  # the offset written
        ("Tue, 05 Mar 2024 14:00:00 +0100 (CET)", "2024-03-05 13:00"),
        ("05 Mar 2024 14:00 CET+1", "2024-03-05 13:00"),  # the name's offset, either sign
        ("05 Mar 2024 14:00 CEST+02:00", "2024-03-05 12:00"),
        ("05 Mar 2024 14:00 JST+0900", "2024-03-05 05:00"),
        ("05 Mar 2024 14:00 UTC+3", "2024-03-05 11:00"),
        ("05 Mar 2024 14:00 CET", "2024-03-05 13:00"),
        ("05 Mar 2024 14:00 Z", "2024-03-05 14:00"),
    ],
)
def test_a_zone_name_and_offset_that_agree_are_read(text, utc):
    from pipeline.ingest._dates import parse_times

    got = parse_times(pd.Series([text, text], dtype=object), dayfirst=True)
    assert got.times.tolist() == [pd.Timestamp(utc, tz="UTC")] * 2


# ------------------------------------------------------------ raw AIS of no position at all


def _raw_ais_log(path, kinds: list[int]) -> None:
    """A receiver's log of messages of ``kinds`` (4: a coast station, 5: static data in
    two sentences, 1: a position report), tagged with the receiver's time."""
    pyais = pytest.importorskip("pyais")
    from _nmea_text import tag

    t0 = pd.Timestamp("2024-03-01T00:00:00Z").value // 10**9
    message = {
        1: {"type": 1, "mmsi": 257000001, "lat": 43.0, "lon": 3.0, "speed": 8.0, "course": 90.0},
        4: {
            "type": 4,
            "mmsi": 2579999,
            "year": 2024,
            "month": 3,
            "day": 1,
            "lat": 43.4,
            "lon": 3.7,
        },
        5: {"type": 5, "mmsi": 257000002, "shipname": "NIGHT OWL", "destination": "SETE"},
    }
    lines = []
    for i in range(20):
        for k in kinds:
            msg = dict(message[k], **({"lat": 43.0 + 0.01 * i} if k == 1 else {}))
            for s in pyais.encode.encode_dict(msg, talker_id="AI", sentence_type="VDM"):
                lines.append(tag(f"s:rxa,c:{t0 + 600 * i}") + s)
    path.write_text("\n".join(lines) + "\n")


def test_a_raw_ais_log_of_no_position_is_refused_not_passed_empty(tmp_path):
    """The lines of a raw AIS log that hold no position (another message type, a part of
    one) left the ceiling's count (8ad919a): a log of coast stations' and static messages
    alone - a receiver's filter set wrong - then passed ``route-risk ingest`` with exit 0
    and nothing accepted, where it was refused (100% rejected) before."""
    from pipeline.errors import DataQualityError
    from pipeline.ingest import summarise_ingest

    empty = tmp_path / "static.nmea"
    _raw_ais_log(empty, [4, 5])
    with pytest.raises(DataQualityError, match="no position report in its 60 raw AIS"):
        summarise_ingest("tracks", empty)
    # a log with positions beside them passes, as 8ad919a made it (they are no bad data)
    mixed = tmp_path / "mixed.nmea"
    _raw_ais_log(mixed, [1, 4, 5])
    got = summarise_ingest("tracks", mixed)
    assert got["accepted"] == 20
    assert got["by_rule"] == {"nmea_multipart": 40, "nmea_not_position": 20}
