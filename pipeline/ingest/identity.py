"""Ship identity beside the vessel id: which vessel ids of a run are one ship.

AIS exports carry the ship's static identity next to the MMSI (MarineCadastre: ``IMO``,
``VesselName``, ``CallSign``; the Danish Maritime Authority: ``IMO``, ``Callsign``,
``Name``; Global Fishing Watch: ``imo``, ``shipname``, ``callsign``).  One ship can
transmit under two MMSIs at once (a class A and a class B transponder, a second transponder
after a refit, a flag change with an overlap): keyed by MMSI, its two ids sail together for
hours and would be an "encounter at sea", and a cell would count the ship twice.

The vessel id stays what it is; the identity columns are read as *secondary* columns into a
small per-vessel table (:func:`identity_table`: vessel id, kind, key, records), never a
column on every ping.  A key is:

``imo``
    A valid IMO number: 7 digits (an ``IMO`` prefix and a trailing ``.0`` are dropped) whose
    last digit is the check digit, no leading zero, not a placeholder (``0000000``,
    ``1234567``, one digit repeated).
``name_call``
    The ship name *and* its call sign, both trimmed, signs read as spaces (a call sign
    without its spaces: ``OXYZ-2`` is ``OXYZ2``), inner spaces collapsed and case-folded, a
    ship-type prefix of the name dropped (``M/V NORDIC STAR`` is ``NORDIC STAR``),
    neither a placeholder (``''``, ``UNKNOWN``, ``N/A``, ``0``, ``UNK``, ``XXXX`` ...).  A
    name alone is no identity: many ships share a name; a name and call sign given by ids of
    two different valid IMO numbers joins none of them.

:func:`ship_groups` then joins the vessel ids of a run that give the same key (each id's
most frequent key of each kind, so one garbled static message does not join two ships),
up to :data:`MAX_IDS_PER_SHIP` ids: a key more ids give is a default a vendor wrote, not one
ship.  The join is a claim the identity columns make; :mod:`pipeline.transit` checks it by
the positions (two ids of one hull report at one place) and undoes it where they disagree
(:meth:`ShipGroups.without`).

The other way round, :func:`ids_of_two_ships` names the vessel ids that give two or more
valid IMO numbers, each on a real share of their records: one MMSI two ships share (a
reassigned MMSI, a default one), whose pings are one track.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._common import MISSING_TOKENS, missing_mask, normalise_name

__all__ = [
    "IDENTITY_COLUMNS",
    "MAX_IDS_PER_SHIP",
    "ShipGroups",
    "call_sign_keys",
    "combine_identity",
    "empty_identity",
    "find_identity_columns",
    "identity_table",
    "ids_of_two_ships",
    "imo_keys",
    "name_keys",
    "ship_groups",
    "text_keys",
]

#: The columns of a per-vessel identity table.
IDENTITY_COLUMNS = ("vessel_id", "kind", "key", "n")

#: A key given by more vessel ids than this is not one ship (a default, a placeholder).
MAX_IDS_PER_SHIP = 4

#: A vessel id's second valid IMO number is a second ship's when it is given by at least this
#: share of the id's records that give a valid IMO number, and by at least
#: :data:`TWO_SHIPS_MIN_RECORDS` records: one garbled static message is not a second ship.
TWO_SHIPS_MIN_SHARE = 0.10

#: See :data:`TWO_SHIPS_MIN_SHARE`.
TWO_SHIPS_MIN_RECORDS = 3

#: Header spellings (normalised: lower case, non-alphanumerics as ``_``) of each column.
_NAMES = {
    "imo": ("imo", "imo_number", "imonumber", "imo_no", "imo_nr", "imo_num", "lrimo", "lr_imo"),
    "ship_name": ("vesselname", "vessel_name", "shipname", "ship_name", "name", "ship"),
    "callsign": ("callsign", "call_sign", "radio_call_sign", "ircs", "call_sign_ircs"),
}

_TEXT_PLACEHOLDERS = MISSING_TOKENS | {
    "0",
    "00",
    "000",
    "0000000",
    "unknown",
    "unknow",
    "not available",
    "notavailable",
    "no name",
    "noname",
    "test",
    "default",
    "undefined",
    "xxx",
    # call signs a decoder or an installer writes for none (compared without their spaces
    # and signs too: ``NO CALL SIGN`` is ``nocallsign``); two boats of one common name and
    # such a call sign were joined as one ship
    "unk",
    "unkn",
    "unavailable",
    "notdefined",
    "nocall",
    "nocallsign",
    "tba",
    "tbd",
    "unnamed",
}
_IMO_PLACEHOLDERS = frozenset({"0000000", "1234567", "7654321", "0123456", "9876543"})


def empty_identity() -> pd.DataFrame:
    """Return an identity table without rows (a new one: a caller may add to it)."""
    return _EMPTY_IDENTITY.copy()


#: Made once: building a frame of four empty Series cost a millisecond, and every track file
#: without identity columns (and every chunk and cached spill of one) asked for it.
_EMPTY_IDENTITY = pd.DataFrame(
    {
        "vessel_id": pd.Series([], dtype=object),
        "kind": pd.Series([], dtype=object),
        "key": pd.Series([], dtype=object),
        "n": pd.Series([], dtype="int64"),
    }
)


def find_identity_columns(columns: Sequence[str], taken: Iterable[str | None]) -> dict[str, str]:
    """Return the identity columns of a table by header (case-insensitive), role -> column.

    Columns already serving a role (``taken``) are not used.  Only headers that name the
    identity are recognised; a file without them gives an empty dict.
    """
    used = {c for c in taken if c}
    norm: dict[str, str] = {}
    for c in columns:
        key = normalise_name(c)
        if c not in used and key not in norm:
            norm[key] = str(c)
    out: dict[str, str] = {}
    for role, names in _NAMES.items():
        for cand in names:
            col = norm.get(cand)
            if col is not None and col not in out.values():
                out[role] = col
                break
    return out


def _text(values: pd.Series) -> pd.Series:
    """Return the values as stripped text, missing ones as ``""``, integral floats as integers."""
    miss = missing_mask(values)
    if values.dtype.kind == "f":
        v = values.to_numpy(dtype="float64")
        whole = np.isfinite(v) & (v == np.round(v)) & (np.abs(v) < 2**53)
        text = pd.Series(
            np.where(whole, np.where(whole, v, 0).astype("int64").astype(str), ""),
            index=values.index,
            dtype=object,
        )
    else:
        text = values.astype("str").str.strip()
    return text.where(~miss, "")


def imo_keys(values: pd.Series) -> pd.Series:
    """Return each value's IMO number as 7 digits, or ``""`` where it is no valid IMO.

    Examples
    --------
    >>> imo_keys(pd.Series(["IMO9074729", "9074729", "0", "1111111", "9074728"])).tolist()
    ['9074729', '9074729', '', '', '']
    """
    text = _text(values).str.upper()
    text = text.str.replace(r"^IMO[\s:#-]*", "", regex=True).str.replace(
        r"^(\d+)\.0+$", r"\1", regex=True
    )
    shaped = text.str.fullmatch(r"[1-9]\d{6}").fillna(False).to_numpy(dtype=bool)
    out = np.full(len(text), "", dtype=object)
    if not shaped.any():
        return pd.Series(out, index=values.index, dtype=object)
    cand = text.to_numpy(dtype=object)[shaped].astype("U7")
    digits = np.frombuffer(cand.tobytes(), dtype=np.uint32).reshape(-1, 7).astype("int64") - 48
    check = (digits[:, :6] * np.arange(7, 1, -1)).sum(axis=1) % 10
    repeated = (digits == digits[:, :1]).all(axis=1)
    ok = (check == digits[:, 6]) & ~repeated & ~np.isin(cand, list(_IMO_PLACEHOLDERS))
    idx = np.flatnonzero(shaped)[ok]
    out[idx] = cand[ok].astype(object)
    return pd.Series(out, index=values.index, dtype=object)


def text_keys(values: pd.Series) -> pd.Series:
    """Return names trimmed, signs as spaces, spaces collapsed, case-folded; placeholders ``""``.

    The text is NFKC-normalised first (an accent composed or not, a full-width letter, are
    one spelling) and AIS padding is dropped: a 6-bit AIS text field is filled up with
    ``@`` (``NORDIC STAR@@@@``), which a decoder may leave in an export.  A placeholder
    (``UNK``, ``NO CALLSIGN``, ``TBA``, zeros, one letter repeated: ``XXXX``) is no key.

    Examples
    --------
    >>> text_keys(pd.Series(["  Nordic  Star ", "UNKNOWN", "N/A", "0", "", "@@@"])).tolist()
    ['nordic star', '', '', '', '', '']
    >>> text_keys(pd.Series(["NORDIC STAR@@@@", "OXYZ2 @@@"])).tolist()
    ['nordic star', 'oxyz2']
    >>> text_keys(pd.Series(["UNK", "No Call Sign", "XXXX", "TBA"])).tolist()
    ['', '', '', '']
    >>> text_keys(pd.Series(["NORDIC-STAR", "St. John's", "M/V  Ocean.Pearl"])).tolist()
    ['nordic star', 'st johns', 'm v ocean pearl']
    """
    text = _text(values).str.normalize("NFKC").str.replace(r"@+\s*$", "", regex=True)
    text = text.str.casefold().str.replace("['\u2019`]", "", regex=True)
    # a sign is a space: one ship's two transponders, set up by two installers, gave
    # NORDIC-STAR and NORDIC STAR, ST. JOHN and ST JOHN, and were two ships side by side
    text = text.str.replace(r"[\s!-/:-@\[-`{-~]+", " ", regex=True).str.strip()
    bare = text.str.replace(r"[^0-9a-z\u00c0-\uffff]+", "", regex=True)
    bad = (
        text.isin(_TEXT_PLACEHOLDERS)
        | bare.isin(_TEXT_PLACEHOLDERS)
        | (bare == "")
        | bare.str.fullmatch(r"0+|(.)\1{2,}").fillna(False)  # 0, 000, XXXX, ZZZZZZ
    )
    return text.where(~bad.to_numpy(dtype=bool), "")


#: Ship-type prefixes of a name, as :func:`text_keys` leaves them (signs read as spaces):
#: motor vessel/tanker/yacht, fishing, sailing and research vessel, motor/steam ship.
_TYPE_PREFIX = r"^(?:m ?v|m ?t|m ?y|f ?v|s ?v|r ?v|m ?s|s ?s)(?: |$)"


def name_keys(values: pd.Series) -> pd.Series:
    """Return ship names as :func:`text_keys` does, a ship-type prefix dropped.

    One ship's two transponders gave ``M/V NORDIC STAR`` and ``NORDIC STAR`` beside one call
    sign and sailed as two ships side by side.  The prefix must be a word of its own
    (``MSC ANNA`` keeps its name); a name that is a prefix alone is no key.

    Examples
    --------
    >>> name_keys(pd.Series(["M/V Nordic Star", "MV. NORDIC STAR", "MSC Anna", "M/T"])).tolist()
    ['nordic star', 'nordic star', 'msc anna', '']
    >>> name_keys(pd.Series(["F/V UNKNOWN", "S.S. Minnow", "MS"])).tolist()
    ['', 'minnow', '']
    """
    bare = text_keys(values).str.replace(_TYPE_PREFIX, "", regex=True)
    return text_keys(bare)  # what is left may be a placeholder (M/V UNKNOWN)


def call_sign_keys(values: pd.Series) -> pd.Series:
    """Return call signs as :func:`text_keys` does, without spaces: ``OXYZ 2`` is ``OXYZ2``.

    Examples
    --------
    >>> call_sign_keys(pd.Series(["OXYZ2", "oxyz 2", "OXYZ-2", "N/A"])).tolist()
    ['oxyz2', 'oxyz2', 'oxyz2', '']
    """
    return text_keys(values).str.replace(" ", "", regex=False)


def _keys_by_value(values: pd.Series, keys) -> tuple[np.ndarray, np.ndarray]:
    """Return (row code, key text per code) of ``keys`` applied to each distinct value once.

    A row's code is -1 where its value is missing or gives no key (``""``).  A track file
    repeats each vessel's static fields on every ping: the keys are computed on the distinct
    values (a few thousand in millions of rows), never row by row.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = keys(pd.Series(uniques, dtype=uniques.dtype)).to_numpy(dtype=object)
    kcode, ktext = pd.factorize(texts)  # distinct values giving one key share its code
    none = np.flatnonzero(np.asarray(ktext, dtype=object) == "")
    kcode = np.where(np.isin(kcode, none), -1, kcode)
    row = np.append(kcode, -1)[codes]  # a code of -1 (missing) picks the appended -1
    return row.astype("int64"), np.asarray(ktext, dtype=object)


def identity_table(
    vessel: np.ndarray,
    usable: np.ndarray,
    imo: pd.Series | None = None,
    ship_name: pd.Series | None = None,
    callsign: pd.Series | None = None,
) -> pd.DataFrame:
    """Count each vessel id's identity keys over its records (``usable``: a vessel id given).

    Returns one row per (vessel id, kind, key) with the number of records giving it; the
    counts of several chunks or files add up (:func:`combine_identity`).  Each distinct
    value is read once (:func:`_keys_by_value`) and the records are counted by integer
    codes: about 0.5 s for two million pings.
    """
    usable = np.asarray(usable, dtype=bool)
    vcode, vnames = pd.factorize(np.asarray(vessel, dtype=object))
    vnames = np.asarray(vnames, dtype=object).astype(str).astype(object)
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []
    if imo is not None:
        parts.append(("imo", *_keys_by_value(imo, imo_keys)))
    if ship_name is not None and callsign is not None:
        nm, nm_text = _keys_by_value(ship_name, name_keys)
        cs, cs_text = _keys_by_value(callsign, call_sign_keys)
        both = (nm >= 0) & (cs >= 0)
        pair = np.where(both, nm * max(len(cs_text), 1) + cs, -1)
        pcode, puniq = pd.factorize(pair)
        puniq = np.asarray(puniq, dtype="int64")
        size = max(len(cs_text), 1)
        ptext = np.array(
            [f"{nm_text[u // size]}|{cs_text[u % size]}" if u >= 0 else "" for u in puniq],
            dtype=object,
        )
        pcode = np.where(puniq[pcode] < 0, -1, pcode)
        parts.append(("name_call", pcode.astype("int64"), ptext))
    frames = []
    for kind, code, texts in parts:
        keep = usable & (code >= 0) & (vcode >= 0)
        if not keep.any():
            continue
        n_keys = max(len(texts), 1)
        combo, count = np.unique(
            vcode[keep].astype("int64") * n_keys + code[keep], return_counts=True
        )
        got = pd.DataFrame(
            {
                "vessel_id": vnames[combo // n_keys],
                "kind": kind,
                "key": np.asarray(texts, dtype=object)[combo % n_keys],
                "n": count.astype("int64"),
            }
        )
        frames.append(got)
    return combine_identity(frames)


def combine_identity(tables: Iterable[pd.DataFrame | None]) -> pd.DataFrame:
    """Add up identity tables (chunks of a file, files of a run): one row per vessel/kind/key."""
    frames = [t[list(IDENTITY_COLUMNS)] for t in tables if t is not None and len(t)]
    if not frames:
        return empty_identity()
    f = pd.concat(frames, ignore_index=True)
    f = f.astype({"vessel_id": str, "kind": str, "key": str, "n": "int64"})
    out = f.groupby(["vessel_id", "kind", "key"], sort=True)["n"].sum().reset_index()
    return out.astype({"vessel_id": object, "kind": object, "key": object, "n": "int64"})


@dataclass(frozen=True)
class ShipGroups:
    """Vessel ids of a run found to be one ship.

    Attributes
    ----------
    ids : numpy.ndarray of object
        The vessel ids that share their ship with another id, sorted.
    ship : numpy.ndarray of object
        The ship of each of ``ids``: the smallest vessel id of its group.
    rule : numpy.ndarray of object
        Per id, how its group was joined: ``"IMO 9074729"``, ``"name and call sign ..."``.
    refused : list of str
        Keys given by more than :data:`MAX_IDS_PER_SHIP` ids, taken as no identity.
    """

    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    ship: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    rule: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    refused: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.ids.size)

    def ship_of(self, vessels: np.ndarray) -> np.ndarray:
        """Return each vessel id's ship: its group's smallest id, or itself."""
        v = np.asarray(vessels, dtype=object)
        out = v.copy()
        if self.ids.size and v.size:
            k = pd.Index(self.ids).get_indexer(v.astype(str))
            hit = k >= 0
            out[hit] = self.ship[k[hit]]
        return out

    def is_aliased(self, vessels: np.ndarray) -> np.ndarray:
        """Return True for the vessel ids that share their ship with another id."""
        v = np.asarray(vessels, dtype=object)
        if not self.ids.size:
            return np.zeros(v.size, dtype=bool)
        return pd.Index(self.ids).get_indexer(v.astype(str)) >= 0

    def without(self, ids: Iterable[str]) -> ShipGroups:
        """Return the groups less the groups of ``ids`` (all their ids are their own ship again).

        A group losing one id is undone whole: what its identity columns claimed was found
        false, so none of its ids is joined by it.
        """
        drop = np.isin(self.ship, self.ship_of(np.asarray(list(ids), dtype=object)).astype(str))
        if not drop.any():
            return self
        keep = ~drop
        return ShipGroups(self.ids[keep], self.ship[keep], self.rule[keep], self.refused)


def _describe(kind: str, key: str) -> str:
    if kind == "imo":
        return f"IMO {key}"
    name, _, call = key.partition("|")
    return f"name {name!r} and call sign {call!r}"


def ship_groups(identity: pd.DataFrame | None, vessels: np.ndarray) -> ShipGroups:
    """Join the vessel ids (of ``vessels``) that give one ship's identity.

    Each id is represented by its most frequent key of each kind (ties: the smallest key);
    ids sharing a key, directly or through another id, are one ship.  A key given by more
    than :data:`MAX_IDS_PER_SHIP` ids, or a group grown beyond it, joins nothing.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if identity is None or not len(identity) or not len(vessels):
        return ShipGroups()
    names = pd.Index(np.unique(np.asarray(vessels, dtype=object).astype(str)))
    f = identity[identity["vessel_id"].astype(str).isin(names)]
    if not len(f):
        return ShipGroups()
    f = f.sort_values(["vessel_id", "kind", "n", "key"], ascending=[True, True, False, True])
    top = f.drop_duplicates(["vessel_id", "kind"], keep="first")
    # a name and call sign shared by ids of two valid IMO numbers are two ships' (sisters)
    imo_of = top[top["kind"] == "imo"].set_index("vessel_id")["key"]
    nc = top["kind"] == "name_call"
    their_imo = top["vessel_id"].map(imo_of).where(nc)
    imos = their_imo.groupby(top["key"].where(nc)).transform("nunique")
    top = top[~(nc & (imos.reindex(top.index).fillna(0) > 1))]
    size = top.groupby(["kind", "key"])["vessel_id"].transform("size").to_numpy()
    refused = sorted(
        {
            _describe(k, v) + f" ({n} vessel ids)"
            for k, v, n in zip(top["kind"], top["key"], size, strict=True)
            if n > MAX_IDS_PER_SHIP
        }
    )
    top = top[(size >= 2) & (size <= MAX_IDS_PER_SHIP)]
    if not len(top):
        return ShipGroups(refused=refused)
    code = names.get_indexer(top["vessel_id"].astype(str))
    kk = pd.factorize(top["kind"].astype(str) + "\0" + top["key"].astype(str))[0]
    n_v = len(names)
    # a bipartite graph: vessel ids and keys; components are ships
    graph = coo_matrix(
        (np.ones(code.size), (code, n_v + kk)), shape=(n_v + kk.max() + 1,) * 2
    ).tocsr()
    _, label = connected_components(graph, directed=False)
    vl = label[:n_v]
    members = np.bincount(vl, minlength=label.max() + 1)
    # a group's ids: those sharing a component with another id, groups not over the cap
    ok = (members[vl] >= 2) & (members[vl] <= MAX_IDS_PER_SHIP)
    if not ok.any():
        return ShipGroups(refused=refused)
    ids = names.to_numpy(dtype=object)[ok]
    lab = vl[ok]
    first = pd.Series(ids).groupby(lab).transform("min").to_numpy(dtype=object)
    # the rule: the key of the id's own rows that joins it (the first kind, IMO before names)
    t = top.assign(_lab=vl[code]).sort_values(["kind", "key"])
    t = t[np.isin(t["_lab"].to_numpy(), lab)]
    by_group = t.drop_duplicates("_lab", keep="first")
    desc = {
        int(g): _describe(k, v)
        for g, k, v in zip(by_group["_lab"], by_group["kind"], by_group["key"], strict=True)
    }
    rule = np.array([desc.get(int(g), "") for g in lab], dtype=object)
    return ShipGroups(ids=ids, ship=first, rule=rule, refused=refused)


def ids_of_two_ships(identity: pd.DataFrame | None, vessels: np.ndarray) -> pd.DataFrame:
    """Return the vessel ids (of ``vessels``) giving two or more valid IMO numbers.

    An IMO number counts when at least :data:`TWO_SHIPS_MIN_RECORDS` records and
    :data:`TWO_SHIPS_MIN_SHARE` of the id's records with a valid IMO give it.  Returns one
    row per (vessel id, IMO number) of those ids: ``vessel_id``, ``key``, ``n`` (records),
    sorted by vessel id, then most records first.
    """
    cols = ["vessel_id", "key", "n"]
    if identity is None or not len(identity) or not len(vessels):
        return empty_identity()[cols]
    names = np.unique(np.asarray(vessels, dtype=object).astype(str))
    f = identity[(identity["kind"] == "imo") & identity["vessel_id"].astype(str).isin(names)]
    if not len(f):
        return empty_identity()[cols]
    total = f.groupby("vessel_id")["n"].transform("sum")
    f = f[(f["n"] >= TWO_SHIPS_MIN_RECORDS) & (f["n"] >= TWO_SHIPS_MIN_SHARE * total)]
    f = f[f.groupby("vessel_id")["key"].transform("size") >= 2]
    f = f.sort_values(["vessel_id", "n", "key"], ascending=[True, False, True])
    return f[cols].reset_index(drop=True)
