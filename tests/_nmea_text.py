"""Raw AIS text for the tests of the NMEA reader: checksums, sentences and tag blocks."""

from functools import reduce

#: A type 1 report (MMSI 244661996, 55.924 N 5.240 W, 9.8 kn), as pyais decodes it.
PAYLOAD = "13aDvs001RO`0r2P00000000000"


def checksum(text: str) -> str:
    """The NMEA checksum of ``text``: its characters XORed, two upper-case hex digits."""
    return f"{reduce(lambda a, c: a ^ ord(c), text, 0):02X}"


def sentence(body: str) -> str:
    """``!<body>*<checksum>``."""
    return f"!{body}*{checksum(body)}"


def tag(text: str) -> str:
    """A tag block ``\\<text>*<checksum>\\``."""
    return f"\\{text}*{checksum(text)}\\"
