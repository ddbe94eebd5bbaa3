"""Problems a second hostile review found in the raw-AIS (NMEA) and ``.plt`` readers."""

from __future__ import annotations

import gzip
from functools import reduce

import pytest

from pipeline.errors import SourceUnreadable
from pipeline.ingest import TrackSource, read_tracks

# A type 1 report (MMSI 244661996, 55.924 N 5.240 W, 9.8 kn), as pyais decodes it.
_PAYLOAD = "13aDvs001RO`0r2P00000000000"


def _xor(text: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), text, 0):02X}"


def _sentence(body: str) -> str:
    return f"!{body}*{_xor(body)}"


def _tag(text: str) -> str:
    return f"\\{text}*{_xor(text)}\\"


def _tagged(lines: list[tuple[str, str]]) -> bytes:
    """Sentences of ``_PAYLOAD`` (or another) behind tag blocks ``text`` (``s:..,c:..``)."""
    out = [_tag(text) + _sentence(f"AIVDM,1,1,,B,{payload},0") for text, payload in lines]
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize("name", ["ais.log.gz", "AIS.LOG.GZ"])
def test_a_rotated_receivers_log_gzipped_is_read_as_raw_ais(tmp_path, name):
    # a plain ais.log was sniffed for raw sentences, its rotated ais.log.gz refused as
    # 'gzip-compressed .log is not read' (the README: '.txt/.log, also gzipped')
    path = tmp_path / name
    path.write_bytes(
        gzip.compress(_tagged([(f"c:{1_600_000_000 + 60 * i}", _PAYLOAD) for i in range(3)]))
    )
    res = read_tracks(TrackSource(path=path))
    assert res.n_read == 3 and len(res.frame) == 3
    assert res.assumptions["schema"] == "nmea"
    damaged = tmp_path / "old.log.gz"
    damaged.write_bytes(b"\x1f\x8b" + b"x" * 40)
    with pytest.raises(SourceUnreadable, match="cannot decompress"):
        read_tracks(TrackSource(path=damaged))
