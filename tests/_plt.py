"""A Geolife trajectory's text, for the tests of the ``.plt`` reader (test_plt_tracks,
test_review_readers_found): the six header lines and three points as Geolife writes them
(CRLF, ISO date and time texts beside the day counts)."""

GEOLIFE_HEAD = (
    "Geolife trajectory\r\nWGS 84\r\nAltitude is in Feet\r\nReserved 3\r\n"
    "0,2,255,My Track,0,0,2,8421376\r\n0\r\n"
    "39.984702,116.318417,0,492,39744.1201851852,2008-10-23,02:53:04\r\n"
    "39.984683,116.31845,0,492,39744.1202546296,2008-10-23,02:53:10\r\n"
    "39.984686,116.318417,0,492,39744.1203125,2008-10-23,02:53:15\r\n"
)
