"""Which column holds what: recognised by name *and* by content, every choice with its evidence.

A header is split into tokens (``Latitude (WGS84)`` -> ``latitude wgs84``, ``BaseDateTime`` ->
``base date time``, ``track_no`` -> ``track no``), unit and qualifier tokens are set aside, and
each role (latitude, time, vessel id, ...) scores every column: a known whole name first, then
a token that names the role, then a weak token (``y``, ``id``, ``name``) that names it only in a
short header.  A name is never enough: the column's values must fit the role (numbers within
±90 for a latitude, values that parse as dates for a time, an id that repeats across rows for a
vessel).  Where no name fits, the values alone may decide (a column of dates, the only numeric
pair of which one exceeds ±90), and the evidence says so.  A ``columns`` mapping in the config
always wins.

The result is a :class:`ColumnChoice`: the picked column per role and, per role, a dict
``{"column", "by", "evidence"}`` that the readers put into ``IngestResult.assumptions``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._terminal import share_to_percent
from ..errors import InputError
from ._common import (
    as_text,
    fold_letters,
    fold_word,
    is_word_char,
    missing_mask,
    missing_memo,
    missing_memo_off,
    normalise_name,
    parse_coordinate,
    split_pair,
)
from ._dates import ZONE_LETTER_WORDS, day_fractions, parse_clock, parse_times
from ._quantity import quantity_fit

__all__ = [
    "CONTENT_DISTINCT",
    "CONTENT_MAX",
    "NAMED_DISTINCT",
    "ColumnChoice",
    "content_max",
    "distinct_ids",
    "compose_coordinate",
    "coordinate_parts",
    "dated_events",
    "check_spellings_agree",
    "written_unit",
    "attribute_position_columns",
    "check_attribute_positions",
    "fallback_column",
    "hemisphere_missing",
    "gridded_hours",
    "infer_columns",
    "name_tokens",
    "WholeFile",
    "part_missing",
    "port_list",
    "seized_what_columns",
    "seizure_columns",
    "track_pairs",
    "vessel_positions",
    "with_content_max",
    "with_distinct",
]

#: Tokens that say a unit, a datum or a format, never what the column is.
UNIT_TOKENS = frozenset(
    "deg degs degree degrees dd dms decimal wgs wgs84 4326 epsg crs utc gmt z iso iso8601 "
    "local lt kn kt kts knot knots mps ms kmh kph km m kg kgs g t tonnes lbs in of the".split()
)
#: Tokens of a moment that is never the record's own, however well its values parse as
#: dates: an arrival expected (a voyage's ``ETA``) or when the record was kept.
OTHER_MOMENTS = frozenset(
    "eta created updated modified inserted ingested uploaded imported added "
    # the record-keeping words in Spanish, Portuguese, French and German ('fecha_registro')
    "registro registo creacion criacao actualizacion atualizacao modificacion modificacao "
    "enregistrement creation modification erfassung erstellt aktualisiert geandert".split()
)
#: Tokens of when a record was received or another message sent: near the record's own
#: time, so a last resort for it.
_RECEIVED = frozenset(
    # when a server or a platform got the record, not when it was fixed (Traccar's
    # 'serverTime' beside 'fixTime', a tracker log's 'server_time' beside 'gps_time')
    "received server receipt recv recepcion recebimento reception eingang "
    # the time of an AIS static and voyage message (exactEarth's 'ts_static_utc' beside
    # 'ts_pos_utc'): when the name and destination were sent, not the position
    "static".split()
)
#: Tokens that make a column a secondary position or time (start, port, shore, ...).
QUALIFIERS = (
    OTHER_MOMENTS
    | _RECEIVED
    | frozenset(
        "shore port home dest destination start end origin from to prev previous next nearest "
        "min max centroid center centre".split()
    )
)
_GLUED = (
    ("basedatetime", ("base", "date", "time")),
    ("dateofocc", ("date", "of", "occ")),
    # GDELT's event table: 'SQLDATE' is the event's day (yyyymmdd), 'DATEADDED' when the
    # record was added (yyyymmddHHMMSS); read as one word each, neither was a date's header
    ("sqldate", ("sql", "date")),
    ("dateadded", ("date", "added")),
    ("datetime", ("date", "time")),
    ("timestamp", ("timestamp",)),
    ("latlon", ("lat", "lon")),
    ("latlng", ("lat", "lng")),
    ("lonlat", ("lon", "lat")),
    ("lnglat", ("lng", "lat")),
    ("userid", ("user", "id")),
    ("shipid", ("ship", "id")),
    ("callsign", ("callsign",)),
)


def name_tokens(name: object) -> list[str]:
    """Split a header into case-folded tokens (camelCase, separators and glued forms).

    Letters of every script make tokens (``Широта``, ``纬度(°)``), accents folded; a token
    ends where the letters change between ASCII and another script (``纬度WGS84``).

    Examples
    --------
    >>> name_tokens("Latitude (WGS84)")
    ['latitude', 'wgs84']
    >>> name_tokens("BaseDateTime")
    ['base', 'date', 'time']
    >>> name_tokens("Długość geograficzna")
    ['dlugosc', 'geograficzna']
    """
    return list(_tokens(str(name)))


@functools.lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    # Accents folded first ('Länge' -> 'Lange'): the letter would otherwise split the word.
    s = fold_letters(name)
    words: list[str] = []
    start = None
    for i, ch in enumerate(s):
        if not is_word_char(ch):
            if start is not None:
                words.append(s[start:i])
                start = None
            continue
        if start is not None and i > start:
            prev, nxt = s[i - 1], s[i + 1 : i + 2]
            if (
                (prev.islower() and ch.isupper())  # camelCase
                or (
                    prev.isupper()
                    and ch.isupper()
                    and nxt.islower()
                    and nxt.isascii() == ch.isascii()
                )
                or (prev.isascii() != ch.isascii())  # '纬度WGS84'
            ):
                words.append(s[start:i])
                start = i
        if start is None:
            start = i
    if start is not None:
        words.append(s[start:])
    out: list[str] = []
    for tok in map(fold_word, words):
        for glued, parts in _GLUED:
            if tok == glued:
                out.extend(parts)
                break
        else:
            out.append(tok)
    return tuple(out)


@dataclass(frozen=True)
class Role:
    """How a role is named: whole names (best first), naming tokens, weak tokens, vetoes."""

    exact: tuple[str, ...]
    strong: frozenset[str]
    weak: frozenset[str] = frozenset()
    veto: frozenset[str] = frozenset()
    #: A pair of tokens that together name the role (``vessel`` + ``id``).
    pairs: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    #: Tokens that name *the* record's own value of the role: a header with one outranks
    #: every header without (``event_date`` over a record-keeping ``timestamp``).
    primary: frozenset[str] = frozenset()
    #: What a ``primary`` token says, for the evidence ("" = the record's own value).
    primary_says: str = ""
    #: Tokens that name the role only as the whole header, as weakly as ``weak``: a word
    #: with another meaning too (Polish 'Szerokość' is a latitude and a width, so
    #: 'Szerokość statku', a ship's beam, is none).
    alone: frozenset[str] = frozenset()


def _fs(words: str) -> frozenset[str]:
    # folded as headers are: 'πλάτος' is the token of 'ΠΛΆΤΟΣ' ('πλατοσ')
    return frozenset(normalise_name(w) for w in words.split())


#: Nouns that, with an id suffix, name a moving thing.  Not 'trip' or 'route': a GTFS trip
#: or route is served by many vehicles, so its id is not an identity of one.
_VESSEL_NOUNS = _fs(
    "vessel ship boat vehicle track craft unit device tracker platform target object "
    "transponder asset hull car bus tag animal individual"
)
_ID_SUFFIX = _fs("id no num nr nbr number code ref key name label")
#: Tokens that name the event a record is about: its date and place outrank a plain one
#: (``incident_date`` over ``date``, ``incident_lat`` over a ``lat`` that may be the port's).
_EVENT_TOKENS = _fs(
    "event incident seizure seized occurred occurrence occ attack interdiction "
    # es, pt, fr, de (accents folded): incautación, decomiso, apreensão, saisie, Beschlagnahme
    "incautacion incautado decomiso aprehension evento incidente hecho suceso apreensao "
    "apreendido ocorrencia saisie evenement beschlagnahme sicherstellung vorfall ereignis"
)
#: Tokens that name the place of the event a record is about.  GDELT's event table gives
#: three places, each a latitude and longitude: 'Actor1Geo_Lat' (where the first actor is
#: based: a country's centroid, often), 'Actor2Geo_Lat', and 'ActionGeo_Lat', where the
#: event happened; the shortest header, the first actor's home, was taken.
_PLACE_TOKENS = _EVENT_TOKENS | _fs("action")
#: Header tokens that name a mass or a unit of mass (``Weight (kg)``, ``Net weight``, ``peso``).
_MASS_TOKENS = _fs(
    "kg kgs kilo kilos kilogram kilograms g gr grs gm gms gram grams gramme grammes mg t "
    "tonne tonnes ton tons lb lbs pound pounds oz ounce ounces weight mass gewicht peso poids"
)

#: Tokens naming the time of a position fix itself (``fixTime``, ``gps_time``, ``GNSS time``).
_FIX_TOKENS = _fs("fix gps gnss")

#: Tokens of a coordinate's quality, not the coordinate (``longitude_error``, ``lat_accuracy``,
#: a fitted track's standard errors ``y.se``/``x.se``, ``lat_sd``, ``lon_std``).
#: 'Geographic' of a latitude or longitude written as a geographic width or length (Polish,
#: Greek, Arabic 'line of': 'Długość geograficzna', 'Γεωγραφικό μήκος', 'خط الطول').
_GEOGRAPHIC = _fs("geograficzna geogr geograf γεωγραφικό γεωγρ خط دائرة")
_NOT_A_POSITION = _fs(
    "error err accuracy precision uncertainty se sd std stdev stddev sigma variance"
)
#: Header words of a span of time, not a moment: a duration beside a date (``Duration``,
#: ``Czas trwania``, ``Время в пути``, ``Time at sea``, ``Dwell time``) holds ``01:07`` or
#: ``3:20:00`` as a clock does, and was added to the date as the record's time of day.
_DURATION_WORDS = _fs(
    "duration durations elapsed interval intervals underway transit dwell total hours hrs "
    "mins minutes length span spent taken travel trip voyage journey passage sailing steaming "
    "idle waiting delay lag "
    # pl, ru/uk, de, fr, es, pt, it, nl, no/da/sv, tr, el, ar, zh, ja (folded as headers are)
    "trwania trwanie podróży rejsu postoju przejazdu upłynęło "
    "пути продолжительность длительность стоянки ходовое тривалість "
    "dauer zeitdauer fahrtdauer fahrzeit liegezeit reisezeit laufzeit standzeit verweildauer "
    "durée écoulé trajet séjour duración transcurrido trayecto viaje estadía estancia "
    "navegación duração decorrido viagem percurso permanência durata trascorso percorrenza "
    "viaggio duur reistijd vaartijd varighet varighed varaktighet reisetid restid "
    "seilingstid süre süresi geçen διάρκεια المدة مدة 时长 持续时间 耗时 历时 所要時間 "
    "経過時間 期間"
)
#: Places a vessel stays at: 'at' before one names a time spent there (``Time at sea``,
#: ``Hours at berth``).  'at' alone is no duration: an IMB list's ``Boarded at``, a
#: ``Time at incident`` or ``Time (UTC) at position`` is the record's clock.
_STAY_WORDS = _fs(
    "sea anchor anchorage berth berths port ports dock quay pier mooring moorings harbour "
    "harbor terminal station"
)

#: Header words of another moment than the record's, for its time of day: the date's
#: :data:`OTHER_MOMENTS` (a voyage's ``ETA``, when the record was kept) and an arrival, a
#: departure, a report or a message sent.  ``ETA time``, ``Arrival time`` or ``Time sent``
#: holding ``14:30`` was added to each date as the record's time of day.
_OTHER_CLOCK_WORDS = OTHER_MOMENTS | _fs(
    "etd ata atd arrival arrive arrived arriving departure depart departed departing report "
    "reported reporting sent sending transmitted "
    # pl, ru/uk, de, fr, es, pt, it, nl, no/da/sv, tr, el, ar (folded as headers are)
    "przybycia przybycie przyjazdu przyjścia zawinięcia odjazdu odpłynięcia wypłynięcia "
    "wyjścia raportu zgłoszenia meldunku wysłania utworzenia aktualizacji modyfikacji "
    "прибытия прибытие прихода отправления отхода выхода отчёта отчета донесения отправки "
    "создания обновления изменения прибуття відправлення звіту створення оновлення "
    "ankunft abfahrt abreise meldung bericht gesendet versandt "
    "arrivée départ rapport signalement signalé envoi envoyé mise "
    "llegada arribo salida zarpe partida informe reporte reportado notificación envío "
    "enviado creado actualizado chegada saída relatório notificação enviado criado atualizado "
    "arrivo partenza rapporto segnalazione invio inviato creato creazione aggiornato "
    "aggiornamento aankomst vertrek melding verzonden aangemaakt bijgewerkt gewijzigd "
    "ankomst avgang afgang avgång sendt skickad skickat opprettet oprettet skapad oppdatert "
    "opdateret uppdaterad varış kalkış hareket rapor raporu bildirim gönderim gönderilme "
    "oluşturma güncelleme άφιξης άφιξη αναχώρησης αναχώρηση αναφοράς αναφορά αποστολής "
    "αποστολή δημιουργίας ενημέρωσης الوصول وصول المغادرة مغادرة التقرير تقرير الإرسال إرسال "
    "الإنشاء إنشاء التحديث تحديث الإبلاغ"
)
#: A compound of such a word and a clock or date word, one token (``Ankunftszeit``,
#: ``Aankomsttijd``, ``Avgangstid``; ``Meldedatum``, for :func:`_same_moment`).
_OTHER_CLOCK_COMPOUND = re.compile(
    "(ankunft|abfahrt|abreise|meldung|melde|sende|versand|erstellung|aktualisierung|"
    "anderung|erfassung|aankomst|vertrek|verzend|ankomst|avgang|afgang|rapport)"
    "s?(?:zeit|uhrzeit|tijd|tid|tidspunkt|datum|dato)"
)
#: Chinese and Japanese words of such a moment, which a header glues to its clock word
#: (``到达时间``, ``到着時刻``, ``更新时间``): found inside the header's token.
_OTHER_CLOCK_CJK = (
    "到达 抵达 到港 进港 出发 离港 离开 报告 上报 发送 创建 更新 修改 到着 入港 出発 出港 "
    "報告 送信 作成 登録 變更 到達 抵達 離港 發送 建立"
).split()

ROLES: dict[str, Role] = {
    "lat": Role(
        exact=(
            "lat",
            "latitude",
            "y",
            "lat_dd",
            "latitude_dd",
            "decimal_latitude",
            "lat_deg",
            "latitude_degrees",
            "lat_wgs84",
            "ycoord",
            "y_coord",
            "point_y",
            "northing",
        ),
        # German 'Breitengrad' and Italian 'latitudine' as one word each, besides 'Breite';
        # Russian and Ukrainian, Turkish, Chinese and Japanese (ru/uk, tr, zh, zh-Hant/ja)
        strong=_fs(
            "lat latitude breedtegraad latitud breite breitengrad latitudine breddegrad "
            "leveysaste ycoord northing широта enlem 纬度 緯度"
        ),
        # Polish, Greek and Arabic say 'geographic width' ('Szerokość geograficzna',
        # 'Γεωγραφικό πλάτος', 'خط العرض'): the bare word is a width too (a vessel's beam),
        # so it names the latitude only as the whole header, and only where none names it
        # better
        weak=_fs("y"),
        alone=_fs("szerokość πλάτος العرض"),
        veto=_fs("lon lng long longitude x") | _NOT_A_POSITION,
        pairs=((_GEOGRAPHIC, _fs("szerokość szer πλάτος عرض العرض")),),
        primary=_PLACE_TOKENS,
    ),
    "lon": Role(
        exact=(
            "lon",
            "lng",
            "long",
            "longitude",
            "x",
            "lon_dd",
            "longitude_dd",
            "decimal_longitude",
            "lon_deg",
            "longitude_degrees",
            "lon_wgs84",
            "xcoord",
            "x_coord",
            "point_x",
            "easting",
        ),
        strong=_fs(
            "lon lng longitude lengtegraad longitud laenge lange langengrad laengengrad "
            "longitudine lengdegrad længdegrad pituusaste xcoord easting "
            "долгота довгота boylam 经度 經度 経度"
        ),
        # 'Długość', 'μήκος', 'الطول' alone are a length too (see the latitude's)
        weak=_fs("x long"),
        alone=_fs("długość μήκος الطول"),
        # 'long' + 'name' is a long name, not a longitude; an error is no position
        veto=_fs("lat latitude y name") | _NOT_A_POSITION,
        # FIT's field, also under its message's name (FitCSVTool's 'record.position_long');
        # GDELT's 'ActionGeo_Long' (a 'long' of three words was no longitude: the lone
        # 'Actor1Geo_Long' was paired with 'ActionGeo_Lat')
        pairs=(
            (_fs("position geo"), _fs("long")),
            (_GEOGRAPHIC, _fs("długość dł dl μήκος طول الطول")),
        ),
        primary=_PLACE_TOKENS,
    ),
    "coords": Role(
        exact=(
            "coords",
            "coordinates",
            "coordinate",
            "position",
            "latlon",
            "lat_lon",
            "latlng",
            "lat_lng",
            "lonlat",
            "lon_lat",
            "lnglat",
            "lng_lat",
            "location_coordinates",
            "geo_position",
            "wkt",
            "geom",
            "the_geom",
            "geometry",
            "wkb_geometry",  # ogr2ogr's geometry column in PostGIS: hex EWKB in a dump
            "wkt_geom",  # QGIS's name for a layer's WKT in a copied or exported table
        ),
        strong=_fs("coords coordinates coordinate position"),
        primary=_PLACE_TOKENS,
    ),
    "time": Role(
        exact=(
            "datetime",
            "date_time",
            "timestamp",
            "time_stamp",
            "basedatetime",
            "base_date_time",
            "event_datetime",
            # a military date-time group (051430ZMAR21): a moment with its zone, over a
            # 'Date' beside it
            "dtg",
            "date_time_group",
            "event_date",
            "seizure_date",
            "incident_date",
            "date",
            "occurred",
            "occurred_at",
            "time",
            "time_utc",
            "ts",
            "utc",
            "year",
        ),
        # 'data' is the Portuguese and Italian date ('data da apreensão'); its values decide.
        strong=_fs(
            "timestamp datetime date time ts dt occurred occurrence occ when fecha datum data "
            # Norwegian/Danish, Swedish, German and French words for a moment ('tidspunkt')
            "dato tidspunkt tidpunkt zeitpunkt zeitstempel horodatage "
            # a date and a time (a moment) in Russian/Ukrainian, Polish, Greek, Turkish,
            # Arabic, Chinese and Japanese; their clock words (час, godzina, ώρα, saat,
            # الساعة) are the time of day's
            "дата время czas ημερομηνία tarih zaman تاريخ التاريخ وقت الوقت "
            "日期 时间 時間 日時 日付 時刻 时刻 "
            # Indonesian and Malay: a date ('tanggal', 'tarikh') and a moment ('waktu')
            "tanggal tarikh waktu"
        ),
        weak=_fs("year t"),
        # An identity's numbers (a 9-digit MMSI, a 7-digit IMO) parse as epoch seconds: a
        # header naming one ('staticData.mmsi', whose 'data' is no date) is never the time.
        # A vessel's year of build ('Year Built', MarineTraffic's 'YEAR_BUILT') is an
        # attribute of the ship: read as the time, every ping was dated 1 January of it.
        veto=_fs("mmsi imo ssvid callsign built build construction constructed"),
        # ACLED's 'timestamp' is the row's upload time beside 'event_date'; an incident list's
        # 'report_date' or 'timestamp' is when it was written down, not when it happened.
        primary=_EVENT_TOKENS,
    ),
    "time_of_day": Role(
        exact=("time", "time_utc", "time_of_day", "hour", "clock", "utc_time", "local_time"),
        strong=_fs(
            "time hour clock hora heure zeit uhrzeit tod "
            "время час czas godzina ώρα saat zaman وقت الوقت ساعة الساعة 时刻 時刻 "
            # Indonesian and Malay: 'Waktu', 'Jam' ('Jam (WIB)'), 'Pukul'
            "waktu jam pukul"
        ),
        # a duration is no moment; another moment (an ETA, an arrival, a report, when the
        # record was kept) is not the record's
        # (a UTC offset or time zone column, 'Time offset', is no clock either: offset_header)
        veto=_fs("date stamp timestamp zone") | _DURATION_WORDS | _OTHER_CLOCK_WORDS,
    ),
    "vessel_id": Role(
        exact=(
            "mmsi",
            "vessel_id",
            "ship_id",
            "shipid",
            "userid",
            "user_id",
            "mmsi_number",
            "ssvid",
            "vessel",
            "track_id",
            "id",
            "name",
        ),
        strong=_fs("mmsi imo callsign userid ssvid cfr uvi imei"),
        # a fleet export's 'Vehicle', 'Asset', 'Device' or 'Plate' column (values 'Truck 7')
        weak=_fs("id name label vessel ship boat vehicle asset device tracker plate"),
        # A segment, voyage or leg id changes while the vessel stays the same (Global Fishing
        # Watch starts a new seg_id where a vessel went dark): never a vessel's identity.
        veto=_fs(
            "type class status length width draft draught flag cargo category kind size "
            "speed course heading sog cog destination route trip entity seg segment segments "
            "voyage leg journey "
            # A time zone ('Time Zone': EST) repeats like an id; a driver drives several
            # vehicles (and one vehicle has several drivers): neither names the vehicle.
            "zone tz timezone offset driver drivers operator time date timestamp "
            # A row number (pandas' 'Unnamed: 0', a blank header, GIS 'FID'/'OBJECTID') that
            # restarts in each concatenated export repeats like an id and is none.
            "unnamed column fid objectid oid row rownum rowid index idx record seq sequence"
        ),
        pairs=((_VESSEL_NOUNS, _ID_SUFFIX),),
        # A header naming the moving thing (vessel_name, ship, MMSI) outranks a bare 'id' or
        # 'name', which may count the points of each track (1, 2, 3, ... per vessel).
        primary=_VESSEL_NOUNS | _fs("mmsi imo callsign ssvid userid cfr uvi imei plate"),
        primary_says="the vessel",
    ),
    # The feature id of a layer of LineString routes: one route per feature.
    "route_id": Role(
        exact=("route_id", "route", "track_id", "vessel_id", "mmsi", "name", "id"),
        strong=_fs("route track mmsi vessel"),
        weak=_fs("id name label"),
    ),
    "sog": Role(
        exact=("sog", "sog_knots", "sog_kn", "speed", "speed_knots", "speed_over_ground"),
        # speed in Norwegian/Danish/Swedish (fart), Spanish, Portuguese, French, German
        strong=_fs("sog speed spd velocity fart velocidad velocidade vitesse geschwindigkeit"),
        veto=_fs("max min limit wind current maks maxima maximale"),
    ),
    "cog": Role(
        exact=("cog", "cog_degrees", "cog_deg", "course", "course_over_ground", "bearing"),
        strong=_fs("cog course bearing"),
    ),
    "commodity": Role(
        exact=(
            "commodity",
            "drug",
            "drug_type",
            "substance",
            "product",
            "item",
            "goods",
            "cargo",
            "category",
        ),
        strong=_fs(
            "commodity drug drugs substance product goods cargo category hostility aggressor "
            "attack incident offence offense crime "
            # es, pt, fr, de (accents folded): droga, sustancia, substância, mercadoria, Droge
            "droga drogas producto productos sustancia sustancias mercancia mercancias "
            "substancia substancias produto produtos mercadoria mercadorias drogue drogues "
            "produit produits marchandise marchandises droge drogen substanz stoff ware waren"
        ),
        weak=_fs("type kind class item"),
        # 'Incident No.' / 'Incident Ref' number the records and 'Incident Details' tells
        # them: neither is the incident's category (ReCAAP, IMB lists).
        veto=_fs(
            "vessel ship mobile status id description desc descriptio name "
            "no nr num number ref reference details detail narrative summary remarks "
            "comment comments note notes date time datetime timestamp hour clock"
        ),
    ),
    "quantity": Role(
        exact=("quantity", "qty", "amount", "weight", "weight_kg", "quantity_kg", "kg", "mass"),
        strong=_fs(
            "quantity qty amount weight mass menge gewicht cantidad peso quantite poids "
            "quantidade hoeveelheid gewicht quantita"
        ),
        # Money is never a quantity of goods: 'Amount (USD)', 'street value', 'price per kg'.
        veto=_fs(
            "unit units unidad unidades unidade unite unites einheit einheiten "
            "usd eur euro euros gbp dollar dollars us aud cad chf jpy cny inr brl "
            "mxn cop currency money value valor valeur wert worth price prices cost costs fee "
            "fine fines fx"
        ),
        # A header naming a mass outranks a bare count ('Quantity' of packages beside
        # 'Weight (kg)').
        primary=_MASS_TOKENS,
        primary_says="a mass",
    ),
    "quantity_unit": Role(
        exact=(
            "unit",
            "units",
            "uom",
            "unit_of_measure",
            "unit_of_measurement",
            "quantity_unit",
            "qty_unit",
            "amount_unit",
            "weight_unit",
            "measure",
        ),
        strong=_fs(
            "unit units uom unidad unidades unidade unite unites einheit einheiten medida mesure"
        ),
        veto=_fs("price cost value"),
    ),
    "agency": Role(
        exact=(
            "agency",
            "authority",
            "organisation",
            "organization",
            "agency_name",
            "reporting_agency",
            "source",
            "data_source",
        ),
        strong=_fs("agency authority organisation organization"),
        weak=_fs("source"),
    ),
    "note": Role(
        exact=(
            "note",
            "notes",
            "description",
            "comment",
            "comments",
            "remarks",
            "details",
            "summary",
            "narrative",
        ),
        strong=_fs("note notes description descriptio comment comments remarks narrative"),
        weak=_fs("details summary text"),
    ),
    "name": Role(
        exact=("name", "port_name", "port", "label", "title"),
        strong=_fs("name"),
        weak=_fs("port label title"),
        # the name of the region, country or sea a feature lies in is not its own name
        # (the World Port Index's 'Region Name' before its 'Main Port Name')
        veto=_fs("region country area zone state province district county ocean sea basin"),
        primary=_fs("main"),
    ),
}


def name_score(column: str, role: str) -> tuple[float, str]:
    """Return (score, why) of a header for a role; score <= 0 means the name does not fit."""
    spec = ROLES[role]
    norm = normalise_name(column)
    if norm in spec.exact:
        return 100.0 - spec.exact.index(norm), f"header {column!r} is a known name"
    toks = name_tokens(column)
    if not toks:
        return 0.0, ""
    if any(t in spec.veto for t in toks):
        return 0.0, ""
    if role == "time" and OTHER_MOMENTS & set(toks):
        return 0.0, ""  # an arrival expected or a record's keeping: never the record's time
    if role == "time_of_day" and _duration_header(column):
        return 0.0, ""  # 'Time at sea': a span, however its header names a clock
    if offset_header(column) and not (role == "note" and nautical_zone_header(column)):
        # 'Time offset': the records' UTC offset (zones.py), no clock; a 'Zone description'
        # may be a note (an EEZ's or a fishing zone's, in words): its values decide
        # (_content_ok), a ship's log's hours are no note
        return 0.0, ""
    core = [t for t in toks if t not in UNIT_TOKENS]
    qual = [t for t in core if t in QUALIFIERS]
    penalty = 10.0 * len(qual)
    if role == "time" and local_time_header(column):
        penalty += 5.0  # a local (wall-clock) time: a UTC one beside it is the time
    if role == "time" and _FIX_TOKENS & set(toks):
        penalty -= 1.0  # the time of the position fix ('fixTime') over the device's clock
    hits = [t for t in core if t in spec.strong]
    if hits:
        return 60.0 - penalty - len(core), f"header {column!r} has token(s) {hits!r}"
    for left, right in spec.pairs:
        a = [t for t in core if t in left]
        b = [t for t in core if t in right]
        if a and b:
            return 55.0 - penalty - len(core), f"header {column!r} has tokens {a[0]!r}+{b[0]!r}"
    weak = [t for t in core if t in spec.weak]
    if weak and len(core) <= 2:
        return 30.0 - penalty - len(core), f"header {column!r} has the short token {weak[0]!r}"
    if len(core) == 1 and core[0] in spec.alone:
        return 29.0, f"header {column!r} is the word {core[0]!r} alone"
    return 0.0, ""


@dataclass
class ColumnChoice:
    """The column picked for each role and the evidence of every pick."""

    pick: dict[str, str | None]
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, role: str) -> str | None:
        """Column for ``role`` or None."""
        return self.pick.get(role)


# ---------------------------------------------------------------------- content tests

_SAMPLE = 2000

#: The samples taken while :func:`infer_columns` runs, by the id of their column's Series
#: (kept beside its sample, so no id is reused meanwhile): each column is tested for several
#: roles, and its missing values were found again for every test (a third of the time).
#: :func:`number_fit` keeps its share there too, under ``("number_fit", id)``.
_SAMPLES: ContextVar[dict[Any, tuple[pd.Series, Any]] | None] = ContextVar("_SAMPLES", default=None)


def _sample(values: pd.Series) -> pd.Series:
    """Up to 2,000 evenly spaced values that are not missing (never modified by a test)."""
    memo = _SAMPLES.get()
    if memo is not None:
        hit = memo.get(id(values))
        if hit is not None and hit[0] is values:
            return hit[1]
    v = values[~missing_mask(values)]
    if len(v) > _SAMPLE:
        v = v.iloc[np.linspace(0, len(v) - 1, _SAMPLE).astype("int64")]
    if memo is not None:
        memo[id(values)] = (values, v)
    return v


class _Frame:
    """A frame whose column ``c`` is one Series object however often it is asked for.

    pandas 3 builds a new Series at every ``frame[c]``; the samples' memo knows a column by
    its Series.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = frame.columns
        self._frame = frame
        self._series: dict[Any, pd.Series] = {}

    def __getitem__(self, col: Any) -> pd.Series:
        if col not in self._series:
            self._series[col] = self._frame[col]
        return self._series[col]


def _utc_seconds(values: pd.Series) -> bool:
    """Every sampled value is a whole number 0..60: the AIS ``timestamp`` field (UTC second).

    AIS position reports carry the second of the minute, 0-59 (60-63: not available or
    positioning mode), under the name ``timestamp``: an epoch time it is not.
    """
    v = _sample(values)
    if not len(v) or values.dtype.kind == "M" or isinstance(values.dtype, pd.DatetimeTZDtype):
        return False
    text = v.astype("str").str.strip()

    def seconds(t: pd.Series) -> bool:
        nums = pd.to_numeric(t, errors="coerce").to_numpy(dtype="float64")
        return bool(np.all((nums >= 0) & (nums <= 63) & (nums == np.round(nums))))

    # every value must be one: the first decides a column of dates (the most asked) alone
    return seconds(text.iloc[:1]) and seconds(text)


def coordinate_fit(values: pd.Series, axis: str) -> tuple[float, float, int]:
    """Return (share parsed as a coordinate, share within ±90 / ±180 of those, count)."""
    v = _sample(values)
    if not len(v):
        return 0.0, 0.0, 0
    nums, _, _ = parse_coordinate(v, axis)
    x = nums.to_numpy(dtype="float64")
    ok = np.isfinite(x)
    if not ok.any():
        return 0.0, 0.0, len(v)
    lim = 90.0 if axis == "lat" else 180.0
    return float(ok.mean()), float((np.abs(x[ok]) <= lim).mean()), len(v)


def date_fit(values: pd.Series, *, numbers: bool = False) -> float:
    """Share of a sample that parses as a date.

    With ``numbers`` False (recognition by content alone) bare numbers and times of day do
    not count: an MMSI would otherwise read as epoch seconds.
    """
    v = _sample(values)
    if not len(v):
        return 0.0
    if isinstance(v.dtype, pd.DatetimeTZDtype) or v.dtype.kind == "M":
        return 1.0
    if v.dtype.kind in "fiub":
        return 1.0 if numbers else 0.0
    text = v.astype("str").str.strip().reset_index(drop=True)
    if not numbers:
        numeric = pd.to_numeric(text, errors="coerce").notna().to_numpy()
        secs, _, local, _ = parse_clock(text)
        text = text[~numeric & np.isnan(secs) & ~local].reset_index(drop=True)
        if not len(text):
            return 0.0
    parsed = parse_times(text, dayfirst=True)
    return float((~parsed.unparseable).sum() / len(v))


def number_fit(values: pd.Series) -> float:
    """Share of a sample that parses as a plain number."""
    memo = _SAMPLES.get()
    key = ("number_fit", id(values))
    if memo is not None:  # a column is asked as a clock's neighbour and for its own role
        hit = memo.get(key)
        if hit is not None and hit[0] is values:
            return float(hit[1])
    v = _sample(values)
    if not len(v):
        share = 0.0
    elif v.dtype.kind in "fiub":
        share = 1.0
    else:
        text = v.astype("str").str.strip().str.replace(",", ".", regex=False)
        share = float(pd.to_numeric(text, errors="coerce").notna().mean())
    if memo is not None:
        memo[key] = (values, share)
    return share


#: Header tokens naming a calendar date or year (a column of bare ``2019`` is then years).
_DATE_TOKENS = _fs(
    "date year yr day fecha datum jahr ano annee дата ημερομηνία tarih tanggal tarikh 日期 日付"
)


#: Header tokens naming a moment written as a date and a time (a bare ``2023`` there is a
#: year, never 20:23); a date word beside a clock word (``BaseDateTime``) names one too.
_STAMP_TOKENS = _fs("timestamp stamp zeitstempel horodatage")
#: A year as digits alone, within the range the tables hold (1677-09-22..2262-04-11): a
#: clock of ``HHMM`` digits outside it (``0300``, ``1430``, ``2315``) stays a clock.
_BARE_YEAR = r"\s*(?:1[7-9]|2[0-2])\d{2}\s*"


def clock_fit(values: pd.Series, *, bare_numbers: bool = True, years: bool = False) -> float:
    """Share of a sample that parses as a time of day (local time included).

    With ``bare_numbers`` False a value of digits alone (``2019``, ``1430``) does not count;
    with ``years`` a value of four digits that is a year the tables hold (``2023``) does not.
    """
    v = _sample(values)
    if not len(v) or v.dtype.kind in "fiub":
        return 0.0
    text = v.astype("str")
    secs, _, local, _ = parse_clock(text)
    hit = ~np.isnan(secs) | local
    if not bare_numbers:
        hit &= ~text.str.strip().str.fullmatch(r"\d+").to_numpy(dtype=bool)
    elif years:
        hit &= ~text.str.fullmatch(_BARE_YEAR).to_numpy(dtype=bool)
    return float(hit.mean())


def _all_years(values: pd.Series) -> bool:
    """Whether every sampled value is four digits that are a year the tables hold."""
    text = _sample(values).astype("str")
    return bool(len(text)) and bool(text.str.fullmatch(_BARE_YEAR).all())


def _years_or_clocks(values: pd.Series, dates: pd.Series, date_column: str) -> str:
    """Say whether four-digit values that all are years (``1730``, ``2015``) are years or clocks.

    Under a header naming a moment or a clock beside a column of dates, ``2015`` is 20:15 or
    the year 2015; an evening's reports (``1730``, ``2245``) are all both.  They are years
    where at least half of them are the year of their own row's date (a year repeated beside
    the date, perhaps with a slip; a clock equal to its row's year is a 1-in-1,440 chance);
    otherwise they are clocks of ``HHMM`` (a year that is not its record's year means
    nothing), and the returned sentence says so.  Returns ``"years: ..."`` or the clocks'
    sentence.
    """
    v = _sample(values)
    text = v.astype("str").str.strip()
    own = dates.reindex(v.index)
    try:
        parsed = parse_times(own, dayfirst=True)
    except InputError:
        parsed = None
    if parsed is not None:
        ok = parsed.times.notna().to_numpy()
        years = parsed.times.dt.year.to_numpy()
        as_int = pd.to_numeric(text, errors="coerce").to_numpy()
        # a clock equal to its own row's year is a 1-in-1,440 chance: most such values (a
        # year typed beside the date, '1730' a slip among them) are years, not 20:23s
        same = as_int[ok] == years[ok]
        if ok.any() and bool(same.mean() >= 0.5):
            if bool(same.all()):
                return f"years: each is the year of its row's date in {date_column!r}"
            return (
                f"years: {int(same.sum())} of {int(ok.sum())} are the years of their rows' "
                f"dates in {date_column!r}"
            )
    first = str(text.iloc[0])
    return (
        f"every value is four digits that could also be a year ({first!r}); read as HHMM "
        f"clocks ({first!r} is {first[:2]}:{first[2:]}), not years, since they are not the "
        f"years of the dates in {date_column!r} beside them (if they are years, remove the "
        "column before reading)"
    )


#: Header words of a moment or a clock (``Zeitstempel``, ``Time stamp``): a column under one
#: that holds some times of day, too few to be taken by its values, is said not read.
_CLOCK_HINT = _STAMP_TOKENS | _fs(
    "time hour clock hora heure zeit uhrzeit tod время час czas godzina ώρα saat zaman "
    "waktu jam pukul"
)
#: Whole header names (normalised) of a UTC offset or time zone column (:mod:`.zones`).
OFFSET_NAMES = frozenset(
    {"timezone", "time_zone", "tz", "zone", "tzoffset", "utcoffset", "gmtoffset", "tzone"}
    # the same in the languages whose date and time headers are read (normalised: accents
    # folded, a space as '_'): 'Zona horaria', 'Fuseau horaire', 'Zeitzone', 'Часовой пояс'
    | {
        "zona_horaria", "huso_horario", "fuso_horario", "fuseau_horaire", "zeitzone",
        "tijdzone", "fuso_orario", "saat_dilimi", "часовои_пояс", "часовии_пояс",
        "strefa_czasowa", "ζωνη_ωρασ", "المنطقة_الزمنية", "zona_waktu", "zon_waktu", "时区",
        "時區", "タイムソーン",
    }
)  # fmt: skip


#: Whole header names (normalised) of a ship's log's zone description: hours that added to
#: the local time give UTC (``ZD +5`` is UTC-5), the opposite sign of a UTC offset.
NAUTICAL_ZONE_NAMES = frozenset({"zd", "zone_description", "zonedescription", "zone_desc"})


#: Words a header of a ship's log's zone description may hold besides ``zone`` and
#: ``description``; any other word names another zone (``Fishing zone description``, ``EEZ
#: zone description``: a sea or fishing zone's, no hours from UTC).
_NAUTICAL_ZONE_WORDS = frozenset(
    {"zone", "description", "desc", "descr", "time", "ship", "ships", "log", "nautical", "zd"}
)


def nautical_zone_header(column: str) -> bool:
    """Whether a header names a nautical zone description (``ZD``, ``Zone description``)."""
    toks = set(name_tokens(column))
    return normalise_name(column) in NAUTICAL_ZONE_NAMES or (
        "zone" in toks
        and bool(toks & {"description", "desc", "descr"})
        and toks <= _NAUTICAL_ZONE_WORDS
    )


#: A ship's log's zone description as written: signed or unsigned whole or half hours, or the
#: same as a clock (``+5``, ``-3``, ``5``, ``-5.5``, ``+05:30``, ``0``), signed hours with
#: the zone's letter after them (``+5 (R)``), or the letter alone (``R``) or its word
#: (``Romeo``).
_ZONE_DESCRIPTION_VALUE = (
    r"[+\-\u2212]?\d{1,2}(?:\.\d+|:?\d{2})?|[+\-\u2212]\d{1,2}(?:\.\d+)?\W*[A-Za-z]\W*|[A-Za-z]|"
    "(?i:" + "|".join(re.escape(w) for w in sorted(ZONE_LETTER_WORDS)) + ")"
)


def zone_description_fit(values: pd.Series) -> float:
    """Share of a sample of values that is written as a zone description (signed hours).

    ``+5``, ``-3``, ``0``, ``-05:30``: how a ship's log gives its zone; an EEZ's or a fishing
    zone's description in words (``Territorial sea``) is none.
    """
    v = _sample(values)
    if not len(v):
        return 0.0
    text = v.astype("str").str.strip().str.replace(r"\s+", "", regex=True)
    return float(text.str.fullmatch(_ZONE_DESCRIPTION_VALUE).mean())


def holds_zone_description(values: pd.Series) -> bool:
    """Whether any value (not a sample) is written as a zone description (``+5``, ``R``).

    Read over every distinct value, so that a file gives the same answer whole and in
    chunks (a chunk's answer is whether any of its values is one).
    """
    text = pd.Series(pd.unique(values[~missing_mask(values)].astype("str")), dtype=object)
    text = text.str.strip().str.replace(r"\s+", "", regex=True)
    return bool(text.str.fullmatch(_ZONE_DESCRIPTION_VALUE).any())


#: Header words saying a time is local (wall-clock) time, not UTC, in the languages whose
#: time headers are read (``Local time``, ``LT``, ``Heure locale``, ``Ortszeit``, ``Czas
#: lokalny``, ``Местное время``, ``Yerel saat``, ``Waktu setempat``): IMB and ReCAAP
#: reports give local times.
LOCAL_TIME_TOKENS = _fs(
    "local lt locale lokal lokale lokaal lokaler lokalen ortszeit lokalzeit "
    "lokalny lokalna lokalnego местное местного місцевии місцеве місцевого "
    "τοπικη τοπικης τοπικο yerel المحلي محلي المحلية setempat tempatan"
)
#: The same in Chinese and Japanese, glued to the clock word (``当地时间``, ``現地時刻``).
_LOCAL_TIME_CJK = "当地 本地 现地 現地 當地".split()


def local_time_header(column: object) -> bool:
    """Whether a header says its times are local (wall-clock) time, in any language read.

    Examples
    --------
    >>> local_time_header("Heure locale"), local_time_header("当地时间")
    (True, True)
    >>> local_time_header("Heure UTC")
    False
    """
    toks = name_tokens(column)
    return bool(LOCAL_TIME_TOKENS & set(toks)) or any(w in t for t in toks for w in _LOCAL_TIME_CJK)


def offset_header(column: str) -> bool:
    """Whether a header names the records' UTC offset or time zone, not a clock.

    ``utc_offset``, ``UTCOffset``, ``GMT offset``, ``Time offset``, ``timezone``, ``Time
    Zone``, ``tz``, and a ship's log's zone description (``ZD``, ``Zone description``, read
    with the nautical sign): :mod:`.zones` applies such a column to the times, so its
    ``03:00`` or ``0530`` is never the records' time of day.  A clock whose header states its
    zone (``Time (TZ=UTC)``, ``Time (zone UTC)``) is no such column.
    """
    toks = set(name_tokens(column))
    return (
        normalise_name(column) in OFFSET_NAMES
        or nautical_zone_header(column)
        or ("offset" in toks and bool(toks & {"utc", "gmt", "tz", "zone", "timezone", "time"}))
    )


def _written_clocks(values: pd.Series) -> bool:
    """Whether a sample holds a value written as a clock (``14:20``, ``9:05:30``)."""
    v = _sample(values)
    if not len(v) or v.dtype.kind in "fiub":
        return False
    return bool(v.astype("str").str.contains(r"^\s*\d{1,2}:\d{2}", regex=True).any())


def _clock_hint(column: str) -> bool:
    """Whether a header names a moment or a clock (:data:`_CLOCK_HINT`) and no time zone."""
    return bool(set(name_tokens(column)) & _CLOCK_HINT) and not offset_header(column)


def _hhmm_under_stamp(values: pd.Series, column: str) -> bool:
    """Whether a column of digits alone is a clock of ``HHMM`` under a moment's header.

    The time of day's own header words veto ``stamp`` (a record's keeping), so a clock is
    found there by its values, where a column of numbers is no clock: a ``Time stamp``,
    ``Timestamp`` or ``Time-stamp`` of ``0730``/``1415`` beside a ``Date`` of days lost its
    clock with no note.  Up to four digits each (``730``, ``5``: Excel drops the zeros), under
    a header naming a timestamp or a time, are tried as clocks: at least 90% of them clocks
    (a year such as ``2019`` is none) are taken for one, fewer are said not read.
    """
    if not _clock_hint(column):
        return False
    v = _sample(values)
    if not len(v) or v.dtype.kind in "fiub":
        return False
    text = v.astype("str").str.strip()
    return bool(text.str.fullmatch(r"\d{1,4}").mean() >= 0.9)


#: Header tokens of a unit of time (``Time (h)``, ``time_min``, ``Time [d]``): the column's
#: numbers are amounts of it (0.25 h), never a spreadsheet's fractions of a day as clocks.
_AMOUNT_UNITS = _fs("h hr hrs hours min mins minutes s sec secs seconds d days")


def _hhmm_digits_fit(values: pd.Series) -> float:
    """Share of a sample that is a clock as ``HHMM`` digits once its leading zeros are back.

    A spreadsheet drops them: ``930`` is 09:30, ``5`` 00:05.  The reader takes no such
    value as a clock (:func:`clock_fit`), but a column of them under a stamp header is
    neither dates nor nothing: it is named (:func:`_pick`), and not taken for the date.
    """
    text = _sample(values).astype("str").str.strip()
    if not len(text):
        return 0.0
    digits = text.str.fullmatch(r"\d{1,4}")
    padded = text.where(digits, "9999").str.zfill(4)
    hours = pd.to_numeric(padded.str[:2], errors="coerce")
    minutes = pd.to_numeric(padded.str[2:], errors="coerce")
    return float((digits & (hours < 24) & (minutes < 60)).mean())


def _unpadded_clocks(values: pd.Series) -> bool:
    """Whether a column of digits reads as a day's ``HHMM`` clocks with their zeros dropped.

    Half of them at least clocks once padded (:func:`_hhmm_digits_fit`) and half of them
    three digits long (``930``, ``815``): a sequence 1, 2, 3, the AIS second or years are not.
    """
    text = _sample(values).astype("str").str.strip()
    return _hhmm_digits_fit(values) >= 0.5 and bool(text.str.fullmatch(r"\d{3}").mean() >= 0.5)


def _years_beside_dates(values: pd.Series, column: str) -> bool:
    """Whether a bare ``2023`` of a date column is a year rather than the clock 20:23.

    It is under a header naming a timestamp (``timestamp``, ``BaseDateTime``), and where at
    least half of the values that are not digits alone are full dates: a KML of placemarks
    ``<when>2023-03-10T12:00:00Z</when>`` and ``<when>2023</when>`` was refused as a column
    of times of day (2 placemarks; with 4 the year read as a CSV's does).
    """
    toks = set(name_tokens(column))
    if toks & _STAMP_TOKENS or (toks & _DATE_TOKENS and toks & ROLES["time_of_day"].strong):
        return True
    v = _sample(values)
    text = v.astype("str").str.strip()
    others = v[~text.str.fullmatch(r"\d+").to_numpy(dtype=bool)]
    if len(others) == len(v) or not len(others):  # no bare number to place, or only those
        return False
    return date_fit(others) >= 0.5


#: Spellings only a span of time has: ``1 day 02:00`` (pandas writes ``0 days 01:07:00``),
#: ISO 8601's ``PT1H7M``, ``1h 07m``, ``95 min``, a sign (``-00:15``).
_DURATION_SHAPE = re.compile(
    r"[+-]\s*\d+:\d{2}(?::\d{2})?(?:[.,]\d+)?"
    r"|\d+\s*(?:d|days?|dni|dzień|dnia|дн\.?|дня|дней|день|tage?|jours?|d[ií]as?|gün|"
    r"giorni|giorno|dagen?|dager|dage|dagar|ημέρες|ημέρα|天)"
    r"(?:[\s,]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"|P(?=\d|T\d)(?:\d+(?:[.,]\d+)?[YMWD])*(?:T(?:\d+(?:[.,]\d+)?[HMS])+)?"
    r"|\d+\s*h(?:rs?|ours?)?\s*\d+\s*m(?:in(?:s|utes?)?)?|\d+(?:[.,]\d+)?\s*(?:min|mins|minutes)",
    re.IGNORECASE,
)
#: Hours and minutes (and seconds) as a clock writes them, for the hour that no clock has.
_HOURS_MINUTES = r"\s*(\d+):([0-5]\d)(?::([0-5]\d)(?:[.,]\d+)?)?\s*"


def _duration_example(values: pd.Series, *, hours: bool = True) -> str | None:
    """Return a sampled value that only a duration has (``25:30``, ``1 day 02:00``), or None.

    A day count, an ISO 8601 duration (``PT1H7M``), a sign or minutes as a unit is a span of
    time, however well the other values (``01:07``) read as clocks.  With ``hours``, so is
    an hour past 24:00 (a clock ends at 23:59; ``24:00`` is the day's end): under a header
    naming a clock, such a value is a bad clock of its own record, not the column's sense.
    """
    v = _sample(values)
    if not len(v) or v.dtype.kind in "fiubM" or isinstance(v.dtype, pd.DatetimeTZDtype):
        return None
    text = v.astype("str").str.strip()
    shaped = text.str.fullmatch(_DURATION_SHAPE).to_numpy(dtype=bool)
    hm = text.str.extract(f"^{_HOURS_MINUTES}$")
    hh = pd.to_numeric(hm[0], errors="coerce").to_numpy(dtype="float64")
    rest = (hm[1].fillna("00") + hm[2].fillna("00")).to_numpy(dtype=str)
    with np.errstate(invalid="ignore"):
        beyond = (hh > 24) | ((hh == 24) & (rest != "0000"))
    hit = shaped | (beyond & hours)
    return str(text[hit].iloc[0]) if hit.any() else None


#: A passage or a transit is a span (``Transit time``) and an event whose moment a clock
#: gives (``Time of transit`` through a canal, a French VTS log's ``Heure de passage``).
_EVENT_SPANS = _fs("passage transit")
_OF_WORDS = _fs("of de du des di da del")


def _duration_header(column: str) -> list[str]:
    """Return the header's words that name a span of time (``Czas trwania``: ``trwania``).

    ``at`` counts before a place a vessel stays at (``Time at sea``: ``at sea``); a
    passage or transit after 'of' is its moment (``Time of transit``, ``Heure de passage``).
    """
    toks = name_tokens(column)
    return [
        t
        for k, t in enumerate(toks)
        if t in _DURATION_WORDS and not (t in _EVENT_SPANS and k and toks[k - 1] in _OF_WORDS)
    ] + [f"at {b}" for a, b in zip(toks, toks[1:], strict=False) if a == "at" and b in _STAY_WORDS]


#: Tokens of a voyage's departure or arrival: a date under such a header is a moment of the
#: voyage, days from a seizure or an incident at sea.  Taken as the record's time only when
#: no other date is there, and said; two such columns and no other are refused.
_VOYAGE_ENDS = _fs(
    "departure depart departed departing arrival arrive arrived arriving etd atd ata sailed "
    "sailing salida llegada partida chegada arrivee abfahrt ankunft"
)


def _voyage_end_time(
    raw: _Frame,
    col: str,
    passed: list[str],
    filled: list[str],
    name: str,
    whole: WholeFile | None = None,
) -> str:
    """Return what the evidence adds for a record time taken from a voyage's end, or "".

    Raises InputError when lower-ranked columns name another end of the voyage too (a
    'Date of departure' beside an 'Arrival date'): which one is the record's is not known.
    ``whole`` (``raw`` the first chunk of a file) looks for those dates over the whole file:
    an 'Arrival date' blank in the first chunk and filled further on is such a column too.
    """
    ends = sorted(_VOYAGE_ENDS & set(name_tokens(col)))
    if not ends:
        return ""

    def dates(values: pd.Series) -> bool:
        return date_fit(values) >= 0.8

    spread = whole if whole is not None and whole.any_of is not None and whole.more() else None
    rivals = [
        c
        for c in passed
        if _VOYAGE_ENDS & set(name_tokens(c))
        and (
            (c in filled and dates(raw[c]))
            or (spread is not None and spread.any_of is not None and spread.any_of(c, dates))
        )
    ]
    if rivals:
        raise InputError(
            f"{name}: {[col, *rivals]!r} hold the dates of a voyage's departure and arrival "
            "and no column the record's own date; which one dates the records is not known: "
            "set columns: {time: ...}"
        )
    return (
        f"; its header names the voyage's {ends[0]}, not the record's own moment: taken as"
        " the record's time, as no column names that (set columns: {time: ...} otherwise)"
    )


def _other_moment_header(column: str) -> list[str]:
    """Return the header's words that name another moment than the record's own.

    ``ETA time``: ``eta``; ``Time sent``: ``sent``; ``Ankunftszeit`` and ``到达时间`` (one
    token each, an arrival glued to its clock word): the token.
    """
    return [
        t
        for t in name_tokens(column)
        if t in _OTHER_CLOCK_WORDS
        or _OTHER_CLOCK_COMPOUND.fullmatch(t)
        or any(w in t for w in _OTHER_CLOCK_CJK)
    ]


def _moment_keys(column: str) -> set[str]:
    """Return the other moments a header names, each as its stem (``reported``: ``report``)."""
    keys = set()
    for t in name_tokens(column):
        glued = _OTHER_CLOCK_COMPOUND.fullmatch(t)
        if t in _OTHER_CLOCK_WORDS:
            keys.add(re.sub(r"(?:ed|ing|al|e|s)$", "", t) or t)
        elif glued:
            keys.add(glued.group(1))
        keys.update(w for w in _OTHER_CLOCK_CJK if w in t)
    return keys


def _same_moment(column: str, date_column: str) -> str:
    """Return the moment a clock header names if the date column names it too, else ``""``.

    ``Report time`` beside ``Report date`` (a piracy report list, whose record is the
    report) or ``Time sent`` beside ``Date sent`` (a tracker's messages) is the clock of the
    record's own date, not of another moment.
    """
    keys = _moment_keys(column)
    if not keys or not keys <= _moment_keys(date_column):
        return ""
    return ", ".join(sorted(keys))


def _looks_like_id(values: pd.Series) -> bool:
    """Values repeat across rows and are codes or whole numbers (not measurements)."""
    nu, nn = repeats(values)
    if nn < 2 or not 1 <= nu < nn:
        return False
    v = _sample(values)
    if v.dtype.kind == "f":
        x = v.to_numpy(dtype="float64")
        return bool(np.all(np.isfinite(x) & (x == np.round(x))))
    if v.dtype.kind in "iub":
        return True
    text = v.astype("str").str.strip()
    return not bool(text.str.fullmatch(r"[+-]?\d*[.,]\d*[1-9]\d*").mean() > 0.5)


#: Header words of a measurement, whose whole-number values repeat as codes do: a GPX
#: track's ``ele`` (0 at sea) exported with QGIS/ogr2ogr is no vessel id found by values.
_MEASURES = _fs(
    "ele elev elevation alt altitude height geoidheight depth magvar hdop vdop pdop sat sats "
    "satellites accuracy temp temperature battery rssi snr"
)
#: Header words of a track, which a vessel may sail several of (one per voyage or day).
_TRACK_WORDS = _fs("track tracks traj trajectory trajectories")


@dataclass(frozen=True)
class WholeFile:
    """What the identity rules need of a whole file whose first chunk alone is recognised.

    A file read in chunks decides its columns on its first chunk; some rules need evidence
    from across the file, which these scans give (each reads only the columns named, a
    chunk at a time, and only when a rule asks).

    Attributes
    ----------
    pairs_of : callable
        ``pairs_of(track column, vessel columns)``: ``{vessel column: pairs}``, the distinct
        pairs of the track column with each vessel column over the file, as
        :func:`track_pairs` gives them (the first chunk may hold one voyage of each ship,
        the file two or more), all in one pass over the file.
    filled_of : callable
        ``filled_of(columns)``: those of ``columns`` holding a value somewhere in the file
        (a vessel id blank in the first chunk is no column of no value).
    more : callable
        ``more()``: whether the file holds more than its first chunk.
    head : callable
        ``head(columns, n)``: the file's first ``n`` records of ``columns`` (the rules that
        need the file's order read its first rows, as many whole as in chunks).
    rows : int
        The records of the first chunk.
    any_of : callable or None
        ``any_of(column, test)``: whether ``test`` holds of the values of ``column`` in
        some piece of the whole file (read until one does).
    pieces : callable or None
        ``pieces(columns)``: the whole file's records of ``columns``, a chunk at a time, in
        file order (a rule that counts over every record, as a read of the whole file does).
    """

    pairs_of: Callable[[str, list[str]], dict[str, pd.DataFrame]]
    filled_of: Callable[[list[str]], list[str]]
    more: Callable[[], bool]
    head: Callable[[list[str], int], pd.DataFrame]
    rows: int = 0
    any_of: Callable[[str, Callable[[pd.Series], bool]], bool] | None = None
    pieces: Callable[[list[str]], Iterator[pd.DataFrame]] | None = None


def track_pairs(tracks: pd.Series, vessels: pd.Series) -> pd.DataFrame:
    """Return the distinct pairs of two columns' values (``t``, ``v``) as stripped text.

    Rows where either value is missing are left out.  The pairs of a whole file are those
    of its pieces, concatenated and de-duplicated.
    """
    ok = ~(missing_mask(tracks) | missing_mask(vessels))
    t = tracks[ok].astype("str").str.strip().to_numpy()
    v = vessels[ok].astype("str").str.strip().to_numpy()
    return pd.DataFrame({"t": t, "v": v}).drop_duplicates(ignore_index=True)


def _vessel_of_tracks(
    raw: _Frame, col: str, others: list[str], whole: WholeFile | None = None
) -> str | None:
    """Say why ``col`` holds tracks of the vessels another column names, or return None.

    A ``track_id`` beside a ``vessel_name`` where every track is one vessel's (but for a
    few, :data:`_SHARED_TRACKS`: a ship renamed within a voyage) and most vessels sail two
    or more tracks is cut per voyage or day: read as the vessel id, each
    vessel counts once per track (in ``distinct_vessels``, as gaps between its tracks lost).
    ``whole`` gives the pairs of the whole file where ``raw`` is its first chunk only.
    """
    words = set(name_tokens(col))
    if not (words & _TRACK_WORDS) or words & _SHIP_IDENTITY:
        return None
    mates = [o for o in others if o != col and _SHIP_IDENTITY & set(name_tokens(o))]
    if not mates:
        return None
    # the whole file's pairs are read in one pass for every vessel column (each is read
    # whole: a pass per column read a large file again for each)
    every = (
        whole.pairs_of(col, mates) if whole else {o: track_pairs(raw[col], raw[o]) for o in mates}
    )
    for other in mates:
        pairs = every[other]
        if not len(pairs):
            continue
        # tracks of two vessels or more: no nesting, unless they are a few (a ship renamed
        # during a voyage: one ping of a new name anywhere in the file read the whole file
        # by its voyages, each ship once per voyage)
        tracks = int(pairs["t"].nunique())
        shared = int(pairs.loc[pairs["t"].duplicated(keep=False), "t"].nunique())
        vessels = int(pairs["v"].nunique())
        per_vessel = pairs.groupby("v")["t"].size()
        if (
            shared > 0.5 * tracks
            and vessels >= 2 * tracks
            and vessels >= 3
            and (
                float(per_vessel.median()) >= 2
                or int(pairs.groupby("t")["v"].size().max()) >= 0.8 * vessels
            )
        ):
            # numbered per ship (1, 2, 3 again for each): the numbers name no vessel (20
            # ships of 3 voyages read as 3 "vessels", found only by impossible speeds).  Most
            # ships sail two numbers or more, or one number is nearly every ship's (the
            # first voyage, where most sail one): a track id per ship beside names spelled
            # two ways ('ATLANTIC STAR', 'ATLANTIC STAR@@@') has one track per name and a
            # few names per track, and is the id
            return (
                f"{tracks} track numbers shared by {vessels} vessels of {other!r} ({shared} "
                "of them by two or more): tracks numbered per vessel, not the vessel"
            )
        if shared > _SHARED_TRACKS * tracks:
            continue
        if float(per_vessel.median()) >= 2:
            return (
                f"{tracks} tracks within {len(per_vessel)} vessels of {other!r} (a median "
                f"of {float(per_vessel.median()):g} each, "
                + (
                    f"every track one vessel's but {shared} of a vessel renamed or two"
                    if shared
                    else "every track one vessel's"
                )
                + "): tracks cut per voyage or day, not the vessel"
            )
    return None


#: The share of tracks that may name two vessels or more (a ship renamed within a voyage)
#: while the tracks are still read as nested in the vessels (:func:`_vessel_of_tracks`).
_SHARED_TRACKS = 0.05


#: Rows compared by :func:`_numbers_rows_of` (the file's order is needed: no sample).
_COUNTER_ROWS = 50_000


def _numbers_rows_of(values: pd.Series, groups: pd.Series) -> bool:
    """Whether ``values`` count the rows of each value of ``groups`` (0 or 1, 2, 3, ...).

    Compared in the file's order over its first rows: a point number within each track
    (``id`` beside ``name``) starts again at each track, as no identity does.
    """
    values, groups = values.iloc[:_COUNTER_ROWS], groups.iloc[:_COUNTER_ROWS]
    ok = ~(missing_mask(values) | missing_mask(groups))
    if int(ok.sum()) < 4:
        return False
    x = pd.to_numeric(values[ok].astype("str").str.strip(), errors="coerce").to_numpy(
        dtype="float64"
    )
    if not np.isfinite(x).all():
        return False
    key = groups[ok].astype("str").str.strip()
    if key.nunique() < 2:
        return False
    nth = key.groupby(key.to_numpy(), sort=False).cumcount().to_numpy()
    if nth.max() < 1:
        return False
    step = x - nth
    return bool(step.min() == step.max() and step[0] in (0.0, 1.0))


def _attribute_of(values: pd.Series, numbers: pd.Series) -> bool:
    """Whether ``values`` hold (nearly) one value for each repeated value of ``numbers``.

    Over the first rows and the numbers given on two rows or more: at least 90% of those
    rows hold their number's most common value, and that goes three quarters of the way from
    the share of the column's most common value to 1 (a value on most rows agrees by
    chance).  A row number of exports joined end to end points at other vessels in each
    export; a vessel's number keeps its status or flag.
    """
    frame = pd.DataFrame(
        {"n": numbers.iloc[:_COUNTER_ROWS].to_numpy(), "v": values.iloc[:_COUNTER_ROWS].to_numpy()}
    )
    frame = frame[~(np.asarray(missing_mask(frame["n"])) | np.asarray(missing_mask(frame["v"])))]
    frame = frame.astype("str")
    frame = frame[frame["n"].duplicated(keep=False).to_numpy()]
    if len(frame) < 4 or frame["v"].nunique() < 2:
        return False
    pairs = frame.groupby(["n", "v"], sort=False).size()
    agree = float(pairs.groupby(level=0, sort=False).max().sum()) / len(frame)
    # A value on most rows (a GPS 'sats' of 8, an AIS status 0) agrees within any grouping:
    # the agreement must go well beyond what the most common value alone gives (a row
    # number of exports joined end to end beside sats 8 on 97% of rows agrees 97%)
    common = float(frame["v"].value_counts(sort=False).max()) / len(frame)
    return bool(agree >= 0.9 and agree - common >= 0.75 * (1.0 - common))


def _counts_rows(values: pd.Series) -> bool:
    """Whether ``values`` number the rows in the file's order, starting again now and then.

    Two exports joined end to end each keep their row number (pandas' ``level_0``, a
    PostGIS ``gid``, a ``#`` or ``No.`` column): 0, 1, 2, ..., 0, 1, 2, ... repeats as an id
    does, and read as one would make the n-th row of every export one "vessel".  Asked only
    of columns whose values repeat: one that counts up by one through all of the first
    :data:`_COUNTER_ROWS` rows starts again further on (an export of more rows than that,
    joined to another, was read as 60,000 "vessels" of two pings each).
    """
    v = values.iloc[:_COUNTER_ROWS]
    if bool(missing_mask(v).any()) or len(v) < 4:
        return False
    x = pd.to_numeric(v.astype("str").str.strip(), errors="coerce").to_numpy(dtype="float64")
    if not np.isfinite(x).all() or x[0] not in (0.0, 1.0):
        return False
    again, up = x[1:] == x[0], np.diff(x) == 1
    beyond = len(x) == _COUNTER_ROWS and bool(up.all())
    return bool((again.any() or beyond) and up.any() and (up | again).all())


def _code_like(values: pd.Series) -> bool:
    """Values look like identifiers: integers, or short codes without spaces."""
    v = _sample(values)
    if v.dtype.kind in "iub":
        return True
    text = v.astype("str").str.strip()
    return bool(text.str.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:/#-]{0,39}").mean() > 0.95)


def repeats(values: pd.Series) -> tuple[int, int]:
    """Return (distinct non-missing values, non-missing values).

    An integral float (``257000000.0``) is the same value as its integer, as the reader
    writes it (a float export of an integer id).
    """
    text = _id_texts(values)
    return int(text.nunique()), len(text)


def _id_texts(values: pd.Series) -> pd.Series:
    """Return the non-missing values as the text :func:`repeats` compares."""
    v = values[~missing_mask(values)]
    return v.astype("str").str.strip().str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


#: The count an identity found by its values quotes in its evidence.
CONTENT_DISTINCT = re.compile(r"\((\d+) distinct over (\d+) rows\)")
#: The count an identity named by its header (or the config) quotes in its evidence.
NAMED_DISTINCT = re.compile(r"\b(\d+) distinct value\(s\) over (\d+) rows\b")


def distinct_ids(values: pd.Series) -> tuple[set[str], int]:
    """Return (the distinct values, how many are given) as :func:`repeats` counts them.

    The evidence of an identity found by its values quotes the counts
    (:data:`CONTENT_DISTINCT`); a file read in chunks decides on its first and quotes the
    whole file's, its chunks' values together, as a read of the whole file does.
    """
    text = _id_texts(values)
    return set(text.unique().tolist()), len(text)


def with_distinct(evidence: str, distinct: int, given: int) -> str:
    """Return the evidence of an identity quoting these counts (found by its values or named)."""
    evidence = CONTENT_DISTINCT.sub(f"({distinct} distinct over {given} rows)", evidence)
    return NAMED_DISTINCT.sub(f"{distinct} distinct value(s) over {given} rows", evidence)


# ---------------------------------------------------------------------- inference


def _ranked(columns: Sequence[str], role: str, used: set[str]) -> list[tuple[float, str, str]]:
    """Columns whose header fits ``role``, best first: (name score, column, why).

    A header with one of the role's ``primary`` tokens comes before every header without
    one; the score returned stays the name's own (it says how much the name is trusted).
    """
    primary = ROLES[role].primary
    says = ROLES[role].primary_says or f"the record's own {role}"
    scored = []
    for i, c in enumerate(columns):
        if c in used:
            continue
        score, why = name_score(c, role)
        if score > 0:
            first = bool(primary & set(name_tokens(c)))
            if first:
                why += " that names " + says
            scored.append((first, score - i * 1e-3, c, why))
    scored.sort(key=lambda t: (not t[0], -t[1]))
    return [(score, c, why) for _, score, c, why in scored]


#: Header tokens that name a latitude or a longitude itself (not a northing, not 'y').
_AXIS_TOKENS = {
    "lat": frozenset({"lat", "latitude"}),
    "lon": frozenset({"lon", "long", "longitude", "lng"}),
}


def fallback_column(columns: Sequence[str], role: str, pick: str, used: set[str]) -> str | None:
    """Return the column read where ``pick`` (a latitude or longitude) is blank, if any.

    An export with two spellings of one coordinate (``Latitude`` beside ``Lat DD``) may leave
    one blank for a stretch of records.  Which one was picked then depended on the records
    looked at (the first chunk of a file read in chunks, or the whole file), and the blank
    stretch was rejected in one reading and not in the other.  The next header with a known
    latitude (longitude) name, no qualifier (``Start Lat``, ``Port Latitude`` do not count),
    fills the blanks in either reading.

    Parameters
    ----------
    columns : sequence of str
        The table's columns.
    role : {"lat", "lon"}
        The coordinate.
    pick : str
        The column picked for it by its name.
    used : set of str
        Columns taken by other roles.
    """
    axis = _AXIS_TOKENS.get(role)
    if axis is None or not axis & set(name_tokens(pick)):
        return None
    for score, col, _ in _ranked(columns, role, used | {pick}):
        if score > 80 and axis & set(name_tokens(col)):
            return col
    return None


def _override(
    raw: _Frame, overrides: dict[str, str], role: str, name: str
) -> dict[str, Any] | None:
    col = overrides.get(role)
    if col is None:
        return None
    if col not in raw.columns:
        raise InputError(
            f"{name}: column {col!r} configured for {role!r} is not in the file; "
            f"it has {list(raw.columns)!r}"
        )
    return {"column": col, "by": "config", "evidence": f"columns: {{{role}: {col!r}}}"}


def infer_columns(
    raw: pd.DataFrame,
    roles: Iterable[str],
    overrides: dict[str, str],
    name: str,
    *,
    id_roles: Iterable[str] = ("vessel_id",),
    whole: WholeFile | None = None,
) -> ColumnChoice:
    """Pick a column for each role by name and content; overrides win.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file's columns (raw values).
    roles : iterable of str
        Roles to fill, in priority order (a column serves one role).
    overrides : dict
        Role -> column from the config; always used when given.
    name : str
        File name, for messages.
    id_roles : iterable of str
        Roles that must be an identity: a column unique on every row is refused for them.
    whole : WholeFile, optional
        Scans of the whole file, where ``raw`` is its first chunk: the identity rules that
        need evidence from across the file read it there, or refuse the file where the
        first chunk cannot decide what the whole file would.

    Returns
    -------
    ColumnChoice
        Roles nobody fits are None; :meth:`ColumnChoice.evidence` says why each pick was made,
        and for an id role left empty it lists the rejected candidates under ``"refused"``.

    Raises
    ------
    InputError
        An override names a column the file does not have.
    """
    token = _SAMPLES.set({})
    try:
        with missing_memo():
            return _infer(_Frame(raw), list(roles), overrides, name, set(id_roles), whole)
    finally:
        _SAMPLES.reset(token)


def _infer(
    raw: _Frame,
    roles: list[str],
    overrides: dict[str, str],
    name: str,
    id_roles: set[str],
    whole: WholeFile | None = None,
) -> ColumnChoice:
    columns = [str(c) for c in raw.columns]
    choice = ColumnChoice({r: None for r in roles})
    used: set[str] = set()
    for role in roles:
        forced = _override(raw, overrides, role, name)
        if forced is not None:
            choice.pick[role] = forced["column"]
            choice.evidence[role] = forced
            used.add(forced["column"])
    for role in roles:
        if choice.pick[role] is not None:
            continue
        if role == "lat" and overrides.get("coords"):
            continue
        found = _pick(raw, role, columns, used, role in id_roles, choice, whole, name)
        if found is not None:
            choice.pick[role] = found["column"]
            choice.evidence[role] = found
            used.add(found["column"])
    if "lat" in choice.pick and "lon" in choice.pick and not overrides.get("coords"):
        _position_pairs(raw, choice, columns, used, overrides, name)
        _refuse_other_spellings(raw, choice, columns, used, name)
        _refuse_alone_beside_a_position(raw, choice, columns, overrides, name)
    _content_positions(raw, choice, columns, used)
    for role, col in choice.pick.items():
        if col is not None and role not in _TEXT_ONLY and choice.evidence[role]["by"] != "config":
            _check_unique_header(raw, col, role, name)
    return choice


def _refuse_alone_beside_a_position(
    raw: _Frame, choice: ColumnChoice, columns: list[str], overrides: dict[str, str], name: str
) -> None:
    """Refuse a width/length word read as a coordinate beside a column holding positions.

    A bare Polish, Greek or Arabic width or length (``Szerokość``/``Długość``: a vessel's
    beam and length, 6 m and 25 m, fit as degrees) names a coordinate only where nothing
    names the position better; a column of coordinate pairs (``Position``, or ``Pozycja``
    of ``54°30'N 018°36'E``) does, and reading the bare pair instead put each record at
    its vessel's dimensions.  Which is meant is the user's to say.
    """
    if overrides.get("coords"):
        return
    bare = []
    for role in ("lat", "lon"):
        col = choice.pick.get(role)
        if col is None or choice.evidence[role].get("by") == "config":
            continue
        core = [t for t in name_tokens(col) if t not in UNIT_TOKENS]
        if len(core) == 1 and core[0] in ROLES[role].alone:
            bare.append(col)
    if not bare:
        return
    picked = {choice.pick.get("lat"), choice.pick.get("lon")} - {None}
    for col in columns:
        if col in picked:
            continue
        text = as_text(raw[col]).str.strip()
        text = text[text != ""].head(200)
        if not len(text) or text.str.fullmatch(r"[+-]?[\d.,]+").any():
            continue  # numbers (a decimal comma is no pair)
        lat, lon, _ = split_pair(text)
        both = parse_coordinate(lat, "lat")[0].notna() & parse_coordinate(lon, "lon")[0].notna()
        if float(both.mean()) < 0.9:
            continue
        if (
            "coords" in choice.pick
            and choice.pick["coords"] in (None, col)
            and len(bare) == len(picked)
            and (name_score(col, "coords")[0] > 0 or _POSITION_WORDS & set(name_tokens(col)))
        ):
            _take_named_position(choice, col, bare, text.iloc[0])
            return
        raise InputError(
            f"{name}: {bare!r} may be a latitude/longitude or a width/length (a "
            f"vessel's beam and length), and column {col!r} holds positions such as "
            f"{text.iloc[0]!r}; set columns: {{coords: {col!r}}} in the config to read "
            f"those, or columns: {{lat: ..., lon: ...}} to read the other"
        )


#: Header words naming a position, in the languages whose width/length words name a
#: latitude/longitude too: a column of coordinate pairs so named is the record's position.
_POSITION_WORDS = _fs(
    "position coordinates coordinate coords pozycja położenie współrzędne koordynaty "
    "koordinaten posición posição posizione positie coordenadas coordonnées coordinaten "
    "koordinater koordinat konum координаты позиция местоположение θέση συντεταγμένες "
    "الإحداثيات إحداثيات الموقع 坐标 座標 位置"
)


def _take_named_position(choice: ColumnChoice, col: str, bare: list[str], example: str) -> None:
    """Read the positions of ``col`` and take the bare width/length words as measurements."""
    said = f"{' and '.join(repr(c) for c in bare)}"
    why = (
        f"header {col!r} names a position and holds coordinate pairs such as {example!r}; "
        f"{said} taken as a width/length (a measurement such as a vessel's beam and length), "
        "not coordinates"
    )
    choice.pick["coords"] = col
    choice.evidence["coords"] = {
        "column": col,
        "by": "name",
        "evidence": why,
        "note": f"positions read from {col!r} ({example!r}); {said} were taken as a "
        "width/length (a measurement such as a vessel's beam and length), not coordinates; "
        "set columns: {lat: ..., lon: ...} in the config to read them as coordinates",
    }
    for role in ("lat", "lon"):
        choice.pick[role] = None
        choice.evidence[role] = {"column": None, "by": "none", "evidence": why}


# ---------------------------------------------------------------------- position pairs

#: Words of a bounding box's corner or edge (``min_lat``/``max_lat``, ``lat_south``): a
#: pair of them is an extent, not a point.
_BOUND_WORDS = _fs("min max minimum maximum bbox bounds bound extent south north west east")
#: Words of a pair that names a secondary place (a port, the previous ping, a voyage's start
#: or end, a centroid): beside a plain ``lat``/``lon`` the plain pair is the record's own.
#: Not a version of the same place (``lat_corrected``, ``geocoded_lat``): which one to
#: trust is the user's choice.
_ELSEWHERE = QUALIFIERS | _fs("ports harbour harbor anchorage")
#: Words that name the fix itself, as a plain ``lat``/``lon`` does: FIT's ``position_lat``
#: (beside a session's ``start_position_lat``), a logger's ``gps_lat`` (beside a
#: ``port_lat``).  A pair of these words only is the record's own beside secondary places.
_OWN_WORDS = _fs("position pos location loc gps gnss fix")
#: Words that, beside one of :data:`_OWN_WORDS`, say which of the fixes the pair is:
#: Spire's ``lastPositionUpdate.latitude`` (beside its ``port.centerPoint.latitude``, the
#: port a vessel is bound for), a ``current_position_lat``, a ``reported_position_lat``.
_LATEST_WORDS = _fs("last latest current reported update recent actual")
#: Words of a degree's minutes, seconds or hemisphere (``Lat Min``, ``lat_sec``, ``Lat NS``):
#: a part of the one coordinate (:func:`coordinate_parts`), never another pair.
_PART_WORDS = _fs(
    "min mins minute minutes m sec secs second seconds s hem hemi hemis hemisphere ns sn ew "
    "we n e w dir direction ind indicator quadrant deg degs degree degrees d "
    "hemisferio hemisphare hemisphaere emisfero halfrond"
)


def _pair_key(column: str, role: str) -> frozenset[str]:
    """Return the words of a latitude's (longitude's) header besides the axis and units.

    ``start_lat`` and ``lat_start`` give ``{'start'}``, ``Latitude`` and ``Lat DD`` nothing:
    columns with one key are one position (kepler.gl pairs a latitude only with the
    longitude of the same name, ``pickup_latitude`` with ``pickup_longitude``).
    """
    axis = ROLES[role].strong | ROLES[role].weak | ROLES[role].alone
    plain = re.sub(r"\.\d+$", "", column)  # pandas' 'lat.1' of a repeated 'lat'
    return frozenset(t for t in name_tokens(plain) if t not in axis | UNIT_TOKENS)


#: Degrees within which two columns write one position (about 20 m): the rounding of four
#: decimals, of whole seconds of arc, and a GIS's snapping of a point to its grid (ArcGIS's
#: ``POINT_Y`` is ``lat`` to 1e-9).  Two columns each written finer than that are one
#: position only within their own rounding (:func:`_rounding_degrees`): a vessel and its
#: tender 15 m apart, both to six decimals, are two.
_SAME_DEGREES = 2e-4
#: Half a second of arc: the rounding of a coordinate written as text other than decimals
#: (degrees, minutes and seconds).
_HALF_SECOND = 0.5 / 3600
_DECIMALS = re.compile(r"^[+-]?\d*[.,](\d+)$")


def _rounding_degrees(text: pd.Series) -> float:
    """Half the last written unit of a coordinate column (``10.51234``: 5e-6 degrees).

    The finest of its values counts (a column written to six decimals has some ``10.5``);
    degrees and minutes, or seconds, round to at most :data:`_HALF_SECOND`.
    """
    t = text[text != ""]
    if not len(t):
        return 0.0
    decimals = t.str.extract(_DECIMALS)[0].dropna().str.len()
    if t.str.fullmatch(r"[+-]?\d+(?:[.,]\d+)?").all():
        return 0.5 * 10.0 ** -int(decimals.max() if len(decimals) else 0)
    return _HALF_SECOND


def _same_values(a: pd.Series, b: pd.Series, axis: str) -> bool:
    """Whether two columns give one coordinate on every row (``10.50`` is ``10.5``).

    Read as the coordinate (``01°03.00'N`` is ``1.05``) and equal within the rounding of
    the two columns, at most :data:`_SAME_DEGREES`; a row that neither gives is rejected by
    either reading.
    """
    ta, tb = as_text(a), as_text(b)
    if ta.equals(tb):
        return True
    xa = parse_coordinate(a, axis)[0].to_numpy(dtype="float64")
    xb = parse_coordinate(b, axis)[0].to_numpy(dtype="float64")
    within = min(_SAME_DEGREES, _rounding_degrees(ta) + _rounding_degrees(tb)) + 1e-9
    with np.errstate(invalid="ignore"):
        near = np.abs(xa - xb) <= within
    return bool((near | (np.isnan(xa) & np.isnan(xb))).all())


def _pairs_text(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a!r}/{b!r}" for a, b in pairs)


def _position_pairs(
    raw: _Frame,
    choice: ColumnChoice,
    columns: list[str],
    used: set[str],
    overrides: dict[str, str],
    name: str,
) -> None:
    """Make the latitude and longitude one position, and refuse a choice among equals.

    Columns are grouped by their header's words besides the axis (:func:`_pair_key`): a
    latitude is only read with the longitude of its own group (``start_lat`` never with
    ``end_lon``).  Where two or more groups hold a latitude and a longitude (start/end,
    pickup/dropoff, reported/corrected), the one whose header names the event
    (``incident_lat``, GDELT's ``ActionGeo_Lat``) is taken; a plain ``lat``/``lon`` (or one
    naming only the fix: ``position_lat``, ``gps_lat``, or the latest fix: Spire's
    ``lastPositionUpdate.latitude``) beside pairs naming a secondary place (``port_lat``,
    ``start_lat``) is taken; a pair within :data:`_SAME_DEGREES` of
    another on every row is that position written again; the evidence
    names the pairs not used.  Any other choice (``start_lat`` or ``end_lat``, ``lat`` or
    ``lat_corrected``) would be a guess and is refused, naming the pairs.  A min/max pair is
    a bounding box, never a point.  A latitude (longitude) named in the config takes the
    longitude (latitude) of its pair.
    """
    lat, lon = choice.pick["lat"], choice.pick["lon"]
    forced = {r for r in ("lat", "lon") if overrides.get(r)}
    if forced == {"lat", "lon"} or (lat is None and lon is None):
        return
    groups: dict[frozenset[str], dict[str, list[str]]] = {}
    for role in ("lat", "lon"):
        for c in columns:
            if (c in used and c not in (lat, lon)) or name_score(c, role)[0] <= 0:
                continue
            parsed, within, n = coordinate_fit(raw[c], role)
            if c not in (lat, lon) and (n == 0 or parsed < 0.5 or within < 0.5):
                continue  # an empty, a text or a metres column is no position to choose
            groups.setdefault(_pair_key(c, role), {"lat": [], "lon": []})[role].append(c)
    bounded = any(k & {"max", "maximum"} for k in groups)
    parts = [k for k in groups if k and k <= _PART_WORDS and not (bounded and k & _BOUND_WORDS)]
    for key in parts:  # 'Lat Min' beside 'Lat Deg': the minutes of the one latitude
        del groups[key]
    complete: dict[frozenset[str], dict[str, list[str]]] = {}
    for k, g in groups.items():
        if not (g["lat"] and g["lon"]):
            continue
        if any(  # ArcGIS's 'POINT_Y' copying 'lat': one position written twice
            all(_same_values(raw[g[r][0]], raw[h[r][0]], r) for r in ("lat", "lon"))
            for h in complete.values()
        ):
            continue
        complete[k] = g
    if len(forced) == 1:
        (own,) = forced
        other = "lon" if own == "lat" else "lat"
        key = _pair_key(overrides[own], own)
        mine = complete.get(key, {}).get(other, [])
        if mine and choice.pick[other] not in mine:
            choice.pick[other] = mine[0]
            choice.evidence[other] = {
                "column": mine[0],
                "by": "config",
                "evidence": f"the {other} of the pair of {overrides[own]!r} (columns: "
                f"{{{own}: {overrides[own]!r}}})",
            }
        return
    klat = _pair_key(lat, "lat") if lat else None
    klon = _pair_key(lon, "lon") if lon else None
    if klat == klon and len(complete) <= 1:
        return
    if klat != klon and klat not in complete and klon not in complete:
        return  # no pair of one name to read instead ('Latitude (WGS 84)', 'Longitude')
    points = [k for k in complete if not k & _BOUND_WORDS]
    boxes = [k for k in complete if k & _BOUND_WORDS]
    pair_of = {k: (complete[k]["lat"][0], complete[k]["lon"][0]) for k in complete}
    events = [k for k in points if k & _PLACE_TOKENS]
    fixes = [  # 'lat', 'position_lat', 'gps_lat', 'lastPositionUpdate.latitude'
        k for k in points if k <= _OWN_WORDS or (k & _OWN_WORDS and k <= _OWN_WORDS | _LATEST_WORDS)
    ]
    if len(events) == 1:
        key, why = events[0], "names the event"
    elif len(points) == 1 and not events:
        key, why = points[0], "is the only point"
    elif not events and len(fixes) == 1 and all(k & _ELSEWHERE for k in points if k != fixes[0]):
        key, why = fixes[0], "is the record's own; the others name a secondary place"
    elif not points:
        raise InputError(
            f"{name}: {_pairs_text([pair_of[k] for k in boxes])} are the corners of a "
            "bounding box (min/max), not a point, and no other latitude/longitude pair is "
            "given; set columns: {lat: ..., lon: ...} in the config to the columns of the "
            "record's position"
        )
    else:
        cands = [pair_of[k] for k in (events or points)]
        which = "each named as the event's" if events else "and no header says which is the event's"
        raise InputError(
            f"{name}: {len(cands)} latitude/longitude pairs could each be the record's "
            f"position ({_pairs_text(cands)}) {which}; taking one would be a guess; set "
            "columns: {lat: ..., lon: ...} in the config to one pair (e.g. columns: "
            f"{{lat: {cands[0][0]}, lon: {cands[0][1]}}})"
        )
    others = [pair_of[k] for k in complete if k != key]
    picked: dict[str, str] = {}
    for role, k0 in (("lat", klat), ("lon", klon)):
        now = choice.pick[role]
        picked[role] = now if now is not None and k0 == key else complete[key][role][0]
    for role, col in picked.items():
        base = (
            choice.evidence[role]["evidence"]
            if col == choice.pick[role]
            else f"header {col!r} names a {role}"
        )
        used.discard(str(choice.pick[role]))
        used.add(col)
        choice.pick[role] = col
        choice.evidence[role] = {
            "column": col,
            "by": "name",
            "evidence": f"{base}; the pair {picked['lat']!r}/{picked['lon']!r} {why}"
            + (f"; other pairs not used: {_pairs_text(others)}" if others else ""),
        }


def written_unit(text: pd.Series) -> np.ndarray:
    """Return the last written unit of each coordinate, in degrees (``10.5123``: 1e-4).

    Degrees, minutes and seconds count by the number written last (``54°30.7'N``: a tenth
    of a minute); a value with no number gives NaN.
    """
    t = text.str.strip()
    groups = t.str.count(r"\d+(?:[.,]\d+)?").to_numpy(dtype="float64")
    decimals = t.str.extract(r"\d(?:[.,](\d+))?\D*$")[0].str.len().fillna(0)
    parts = np.clip(groups, 1, 3)
    unit = 10.0 ** -decimals.to_numpy(dtype="float64") / 60.0 ** (parts - 1)
    return np.where(groups > 0, unit, np.nan)


def _differing_rows(a: pd.Series, b: pd.Series, axis: str) -> np.ndarray:
    """Rows where two columns both give a coordinate and the two differ beyond rounding.

    Each row is compared within the units its two values are written to (``60.5123``
    beside ``60°30.7'N`` differ by less than a tenth of a minute): a coarser spelling of
    one position is no other position.  A row that only one of them gives is no
    difference (one spelling may be blank where the other is filled: :func:`fallback_column`).
    """
    xa = parse_coordinate(a, axis)[0].to_numpy(dtype="float64")
    xb = parse_coordinate(b, axis)[0].to_numpy(dtype="float64")
    within = written_unit(as_text(a)) + written_unit(as_text(b)) + 1e-9
    with np.errstate(invalid="ignore"):
        return np.flatnonzero(np.isfinite(xa) & np.isfinite(xb) & (np.abs(xa - xb) > within))


def _refuse_other_spellings(
    raw: _Frame, choice: ColumnChoice, columns: list[str], used: set[str], name: str
) -> None:
    """Refuse a latitude (longitude) beside another spelling of it that holds other values.

    ``lat`` beside ``latitude`` (or ``Latitude`` beside ``Lat DD``) is one group of
    :func:`_pair_key`: read as one position, the first by rank was taken and the other only
    filled its blanks.  Where both are given and differ on a row (a raw and a corrected fix,
    a position and its grid cell), taking the first is a silent guess, as two ``lat``
    headers are (:func:`_check_unique_header`, which keeps the case of one header).
    """
    for role in ("lat", "lon"):
        col = choice.pick.get(role)
        if col is None or choice.evidence.get(role, {}).get("by") != "name":
            continue
        key = _pair_key(col, role)
        keys = {c: _pair_key(c, role) for c in columns if c not in used and c != col}
        others = [c for c, k in keys.items() if name_score(c, role)[0] > 0]
        if any(k and k <= _PART_WORDS for c, k in keys.items() if c in others):
            continue  # degrees beside their minutes or hemisphere: composed later
        plain = normalise_name(re.sub(r"\.\d+$", "", col))
        for c in others:
            if keys[c] != key or normalise_name(re.sub(r"\.\d+$", "", c)) == plain:
                continue
            check_spellings_agree(raw, col, c, role, name)


#: Records of a layer whose attributes decide which columns write a position.
_ATTRIBUTE_SAMPLE = 20_000


def attribute_position_columns(raw: _Frame, name: str) -> tuple[str, str] | None:
    """Return the (latitude, longitude) columns a vector layer's attributes name, if any.

    A layer's geometry is its position; an export often keeps the position as attributes
    too (``Latitude``/``Longitude`` beside the points, ArcGIS's ``POINT_Y``/``POINT_X`` in
    degrees).  Only a pair both picked by their names counts, as the readers would pick
    them in a table; a layer whose attributes would not be read as a position gives None.
    """
    try:
        choice = infer_columns(raw, ("lat", "lon"), {}, name, id_roles=())
    except InputError:
        return None  # attributes a table would refuse as a position are no position
    lat, lon = choice.pick.get("lat"), choice.pick.get("lon")
    if lat is None or lon is None or lat == lon:
        return None
    if any(choice.evidence.get(r, {}).get("by") != "name" for r in ("lat", "lon")):
        return None
    # a pair naming another place (the pirate attacks' 'shore_latitude', a 'port_lat') is
    # that place, not the points written again: nothing to compare, nothing to advise
    if any(_ELSEWHERE & set(name_tokens(c)) for c in (lat, lon)):
        return None
    # ArcGIS's POINT_X/POINT_Y (QGIS's xcoord/ycoord, an Easting/Northing) in the layer's
    # projected metres are picked by their names too: no latitude and longitude to compare
    # (a longitude of 0-360 is one: each record's is bounded where it is compared)
    if coordinate_fit(raw[lat], "lat")[1] < 0.5:
        return None
    return lat, lon


def check_attribute_positions(
    raw: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, name: str, notes: list[str]
) -> None:
    """Compare a layer's points with the position its attributes write, where they have one.

    The geometry is the position (what a GIS draws); a ``Latitude``/``Longitude`` pair
    beside it that disagrees is said in a note, with the first record that differs.  Where
    the points are the attributes' latitude and longitude swapped (a layer made with
    ``x=lat, y=lon``: at 15°N 70°W the points fall at 70°S 15°E, valid degrees, placed
    without a word), the layer is refused: every record would be read somewhere else.
    """
    cols = attribute_position_columns(raw.head(_ATTRIBUTE_SAMPLE), name)
    if cols is None:
        return
    a_lat = parse_coordinate(raw[cols[0]], "lat")[0].to_numpy(dtype="float64")
    a_lon = parse_coordinate(raw[cols[1]], "lon")[0].to_numpy(dtype="float64")

    def off(a, b):  # degrees apart; longitudes round the circle (190 is -170)
        return np.abs((a - b + 180.0) % 360.0 - 180.0)

    with np.errstate(invalid="ignore"):
        both = np.isfinite(a_lat) & np.isfinite(a_lon) & np.isfinite(lat) & np.isfinite(lon)
        both &= (np.abs(a_lat) <= 90.0) & (np.abs(a_lon) <= 360.0)  # a metres value: none
        # within the attributes' written rounding, and a reprojection's last digits: the
        # written unit (text of every value: 4 s a 200,000 features) only where it counts
        maybe = np.flatnonzero(both & ((np.abs(a_lat - lat) > 1e-6) | (off(a_lon, lon) > 1e-6)))
        t_lat = written_unit(as_text(raw[cols[0]].iloc[maybe])) + 1e-6
        t_lon = written_unit(as_text(raw[cols[1]].iloc[maybe])) + 1e-6
        m_lat, m_lon, p_lat, p_lon = a_lat[maybe], a_lon[maybe], lat[maybe], lon[maybe]
        d = (np.abs(m_lat - p_lat) > t_lat) | (off(m_lon, p_lon) > t_lon)
        s = d & (np.abs(m_lat - p_lon) <= t_lat) & (off(m_lon, p_lat) <= t_lon)
    differ, swapped = maybe[d], maybe[s]
    if not differ.size:
        return
    first = int(differ[0])
    example = (
        f"feature {first + 1}: point ({lon[first]:.6g}, {lat[first]:.6g}) lon/lat, "
        f"{cols[0]!r} {as_text(raw[cols[0]].iloc[[first]]).iloc[0]!r}, "
        f"{cols[1]!r} {as_text(raw[cols[1]].iloc[[first]]).iloc[0]!r}"
    )
    # most of the features compared, not most of those that differ: one record whose
    # attributes are swapped (a typo) among points that agree is no layer made with x=lat
    if 2 * swapped.size > both.sum():
        raise InputError(
            f"{name}: the points of {swapped.size} of {both.sum()} features are their "
            f"{cols[0]!r}/{cols[1]!r} attributes with latitude and longitude swapped "
            f"(e.g. {example}): look at one on a map. If the points are wrong (the layer's "
            f"geometry made with x=latitude), remake it with x=longitude or set columns: "
            f"{{lat: {cols[0]!r}, lon: {cols[1]!r}}} in the config to read the attributes; "
            f"if the attributes' names are (the points right), set columns: "
            f"{{lat: {cols[1]!r}, lon: {cols[0]!r}}}"
        )
    notes.append(
        f"{name}: the points of {differ.size} of {both.sum()} features differ from their "
        f"{cols[0]!r}/{cols[1]!r} attributes (e.g. {example}): the geometry is read, as a "
        f"GIS draws it; set columns: {{lat: {cols[0]!r}, lon: {cols[1]!r}}} to read the "
        "attributes instead"
    )


def check_spellings_agree(raw: _Frame, col: str, other: str, role: str, name: str) -> None:
    """Refuse two spellings of one coordinate that hold different values on some row.

    Called on the records that chose the columns (:func:`_refuse_other_spellings`) and, for
    a file read in chunks, on every later chunk with the column that fills the blanks
    (:func:`fallback_column`): a difference first met in the second chunk was a silent
    guess (the first spelling taken) where reading the file whole refused it.  A column
    that holds no coordinates (empty, text or metres) is no other reading, judged on each
    chunk as on the first (in chunks, metres were compared with degrees and refused).
    """
    parsed, within, n = coordinate_fit(raw[other], role)
    if n == 0 or parsed < 0.5 or within < 0.5:
        return  # an empty, a text or a metres column is no other reading
    rows = _differing_rows(raw[col], raw[other], role)
    if not len(rows):
        return
    first = int(rows[0])
    a, b = as_text(raw[col]).iloc[first], as_text(raw[other]).iloc[first]
    word = "latitude" if role == "lat" else "longitude"
    raise InputError(
        f"{name}: columns {col!r} and {other!r} both name the {word} and hold different "
        f"values on {len(rows)} row(s) where both are given (e.g. {a!r} and {b!r}); "
        "which one is the position would be a guess; set columns: {lat: ..., lon: "
        "...} in the config to one pair"
    )


#: Roles only shown to people: a repeated header of one of them changes no number.
_TEXT_ONLY = frozenset({"note", "agency", "name"})


def _check_unique_header(raw: _Frame, col: str, role: str, name: str) -> None:
    """Refuse a pick whose header also names other columns holding other values.

    Readers keep repeated headers apart as ``lat``, ``lat.1``, ... (pandas' convention);
    taking the first of two different ``lat`` columns would be a silent guess.
    """
    columns = [str(c) for c in raw.columns]

    def header(c: str) -> str:  # the header as written: pandas' '.1' gone, case folded
        plain = re.sub(r"\.\d+$", "", c)
        return normalise_name(plain if plain in columns else c)

    base = header(col)
    same = [c for c in columns if header(c) == base]
    if len(same) < 2:
        return
    mine = as_text(raw[col])
    if all(as_text(raw[c]).equals(mine) for c in same):
        return  # the same column written twice: nothing to choose
    raise InputError(
        f"{name}: header {base!r} names {len(same)} columns with different values "
        f"(read as {same!r}); which one holds the {role} would be a guess; set "
        f"columns: {{{role}: ...}} in the config to one of {same!r}"
    )


def _first_chunk(whole: WholeFile | None) -> dict[str, int]:
    """``{"first_chunk": records}`` where an identity was sought on a first chunk only."""
    return {"first_chunk": whole.rows} if whole is not None and whole.more() else {}


def _pick(
    raw: _Frame,
    role: str,
    columns: list[str],
    used: set[str],
    identity: bool,
    choice: ColumnChoice,
    whole: WholeFile | None = None,
    name: str = "",
) -> dict[str, Any] | None:
    refused: list[str] = []
    ranked = _ranked(columns, role, used)
    # A column with no value at all (an export's empty 'Latitude' beside its filled 'Lat DD')
    # fits every header and holds nothing: a candidate further down that holds values wins.
    filled = [c for _, c, _ in ranked if len(_sample(raw[c]))]
    by_name = [c for _, c, _ in ranked]
    empty: list[str] = []
    if filled and len(filled) < len(ranked):
        empty = [c for _, c, _ in ranked if c not in filled]
        ranked = [r for r in ranked if r[1] in filled] + [r for r in ranked if r[1] in empty]

    ordered: list[_Frame] = []

    def in_order() -> _Frame:
        """Return the rows the rules of the file's order read: its first ``_COUNTER_ROWS``."""
        if not ordered:
            short = whole is not None and whole.rows < _COUNTER_ROWS and whole.more()
            cols = [c for c in columns if c not in used]
            ordered.append(_Frame(whole.head(cols, _COUNTER_ROWS)) if whole and short else raw)
        return ordered[0]

    def undecided(col: str | None) -> None:
        """Refuse where a header before ``col``, blank in the first chunk, has values later."""
        if not (identity and whole and empty):
            return
        before = [c for c in empty if col is None or by_name.index(c) < by_name.index(col)]
        later = whole.filled_of(before) if before else []
        if later:
            raise InputError(
                f"{name}: read in chunks, {later!r} hold(s) no value in the first "
                f"{whole.rows} record(s) but values further on, and the {role} is decided on "
                f"the first chunk: it would be {col or 'a column found by its values'!r} "
                f"there, where the whole file's values choose among {by_name!r}; set "
                f"columns: {{{role}: ...}} to the column that names the vessel, or "
                "ingest.chunk_rows above the file's record count"
            )

    for k, (score, col, why) in enumerate(ranked):
        ok, detail = _content_ok(raw[col], role, identity, exact=score > 80, column=col)
        if ok and identity:
            # A bare 'id' that numbers the points of each track (1, 2, 3, ... again for each
            # 'name') repeats like an identity and would make every n-th point one "vessel".
            # Numbered vessels stored one after another ('vessel' 1, 1, ..., 2, 2, ...) count
            # the rows of each point number as that counts theirs: of two such columns the
            # one ranked first by its header (it names the vessel) is not the point number.
            counted = next(
                (
                    c
                    for j, (_, c, _) in enumerate(ranked)
                    if c != col
                    and _numbers_rows_of(in_order()[col], in_order()[c])
                    and not (j > k and _numbers_rows_of(in_order()[c], in_order()[col]))
                ),
                None,
            )
            if counted is not None:
                ok = False
                detail = (
                    f"numbers the rows of each {counted!r} (1, 2, 3, ... again for each): "
                    "a point number, not the vessel"
                )
            others = [c for _, c, _ in ranked]
            within = _vessel_of_tracks(raw, col, others, whole) if ok else None
            if within is not None:
                ok, detail = False, within
        if ok and role == "time" and _years_only(raw[col]):
            # UCDP's 'year' beside its 'date_start': a column of whole dates, further down
            # the names, says more than the year every record was placed on 1 January of.
            for score2, col2, why2 in ranked[k + 1 :]:
                if _years_only(raw[col2]) or not len(_sample(raw[col2])):
                    continue
                ok2, detail2 = _content_ok(
                    raw[col2], role, identity, exact=score2 > 80, column=col2
                )
                if ok2 and date_fit(raw[col2], numbers=_compact_dates(raw[col2])) >= 0.5:
                    return {
                        "column": col2,
                        "by": "name",
                        "evidence": f"{why2}; {detail2}; preferred over {col!r}, which gives "
                        "only years",
                    }
            if _hhmm_under_stamp(raw[col], col):
                # a 'Time stamp' of an evening's 1730, 2245 beside a 'Tanggal' of days: the
                # clocks of those days, not years each record was placed on 1 January of
                found = _dates_beside_clocks(raw, columns, used, col)
                if found is not None:
                    return found
        if ok:
            undecided(col)
            if identity:
                _one_beside_several(raw, col, [c for _, c, _ in ranked[k + 1 :]], role, name)
            if identity and refused:
                detail += "; not " + ", ".join(refused)
            passed = [c for _, c, _ in ranked[k + 1 :]]
            if role == "time":
                detail += _voyage_end_time(raw, col, passed, filled, name, whole)
            if passed:
                detail += f"; preferred over {passed!r}"
            if any(c not in filled for c in passed) and filled:
                detail += f" (every value of {[c for c in passed if c not in filled]!r} missing)"
            return {"column": col, "by": "name", "evidence": f"{why}; {detail}"}
        refused.append(f"{col!r} ({detail})")
        if identity and _per_row(raw[col]) and _SHIP_IDENTITY & set(name_tokens(col)):
            # Each row is another vessel (a one-poll snapshot): a column further down that
            # repeats (a call sign, a name) is shared by several vessels, no identity of one.
            left = [c for _, c, _ in ranked[k + 1 :]]
            nu, _ = repeats(raw[col])
            refused[-1] = (
                f"{col!r} (a different value on every row ({nu} of {nu}): it names the vessel, "
                "so each row is another vessel, one position each, no track"
                + (f"; {left!r} not tried: a value shared by several vessels" if left else "")
                + ")"
            )
            choice.evidence[role] = {
                "column": None,
                "by": "none",
                "evidence": f"{col!r} names the vessel and differs on every row",
                "refused": refused,
                "candidates": [],
                "snapshot": True,
                **_first_chunk(whole),
            }
            return None
    if role == "time":
        # A column of dates whose header names another moment (a voyage's 'ETA', a record's
        # 'created_at') is not the record's time, however well its values parse.
        # A voyage's departure or arrival ('ETD', 'ATA') only where no other column of dates
        # is there, and said (:func:`_voyage_end_time`).
        other: list[str] = []
        free = [c for c in columns if c not in used]
        voyage = [c for c in free if _VOYAGE_ENDS & set(name_tokens(c))]
        for col in [c for c in free if c not in voyage] + voyage:
            share = date_fit(raw[col])
            if share >= 0.8 and set(name_tokens(col)) & OTHER_MOMENTS:
                other.append(col)
            elif share >= 0.8:
                rest = [c for c in voyage if c != col]
                return {
                    "column": col,
                    "by": "content",
                    "evidence": f"no header names a time; {share_to_percent(share)} of the values of "
                    f"{col!r} parse as dates" + _voyage_end_time(raw, col, rest, rest, name, whole),
                }
        if other and not refused:
            choice.evidence[role] = {
                "column": None,
                "by": "none",
                "evidence": f"{other!r} hold dates but name another moment than the "
                "record's own (an arrival expected, or when the record was kept)",
            }
            return None
    if role == "time_of_day" and choice.pick.get("time") is not None:
        date_col = str(choice.pick["time"])
        for col in columns:
            # 'Report date' beside 'Report time': the clock of the date's own moment
            same = col not in used and _same_moment(col, date_col)
            if same and not _duration_header(col):
                ok, detail = _content_ok(raw[col], role, identity, column=col)
                if ok:
                    return {
                        "column": col,
                        "by": "name",
                        "evidence": f"header {col!r} names the moment of the date column "
                        f"{date_col!r} ({same!r}); {detail}",
                    }
        spans: list[str] = []
        moments: list[str] = []
        partial: list[str] = []
        unpadded: list[str] = []
        years_of_dates: list[str] = []
        digits: list[str] = []
        for col in columns:
            if col in used or offset_header(col):
                continue  # a 'Time zone' of 03:00 is an offset from UTC (zones.py), no clock
            hhmm = _hhmm_under_stamp(raw[col], col)
            if not hhmm and number_fit(raw[col]) >= 0.5:  # (numbers: no clock, cheaply)
                # '0930' x17 beside '14:20' x3 under a header naming no clock: numbers to
                # the rule (a quantity of 1430 is no clock), but written clocks among them
                # say it may be one - not taken, and said, not lost unsaid
                if _written_clocks(raw[col]) and (share := clock_fit(raw[col])) >= 0.9:
                    digits.append(f"{col!r} ({share_to_percent(share)} of its values)")
                continue
            # 1715 or 2230 is a clock among 0730s; where every value is also a year (an
            # evening's 1730, 2015, 2245), a year only if each is the year of its own date
            as_years = hhmm and _all_years(raw[col])
            reading = ""
            if as_years:
                reading = _years_or_clocks(raw[col], raw[date_col], date_col)
                if reading.startswith("years"):
                    years_of_dates.append(f"{col!r} ({reading.split(': ', 1)[1]})")
                    continue
            share = clock_fit(raw[col])
            if share < 0.5:
                if hhmm and _clock_hint(col) and _unpadded_clocks(raw[col]):
                    # '930', '815': HHMM whose leading zeros a spreadsheet dropped, no clock
                    # the reader takes; named, not lost unsaid
                    first = str(_sample(raw[col]).astype("str").str.strip().iloc[0])
                    unpadded.append(f"{col!r} (e.g. {first!r})")
                continue
            words, span = _duration_header(col), _duration_example(raw[col])
            other = _other_moment_header(col)
            if words or span is not None:
                why = f"header word {words[0]!r}" if words else f"value {span!r}"
                spans.append(f"{col!r} ({why})")
            elif other:
                moments.append(f"{col!r} (header word {other[0]!r})")
            elif share >= 0.9:
                return {
                    "column": col,
                    "by": "content",
                    "evidence": f"{share_to_percent(share)} of the values of {col!r} are times of day"
                    + (f"; {reading}" if reading else ""),
                }
            elif _clock_hint(col):
                # 'Zeitstempel' of 07:30 with one '25:99' in four: too few clocks to be
                # taken by content, but under a header naming a moment a clock lost unsaid
                partial.append(f"{col!r} ({share_to_percent(share)} of its values)")
        spans += [r for r in refused if "holds durations" in r]
        if spans or moments or partial or unpadded or years_of_dates or digits:
            cols = [
                r.split("'")[1]
                for r in spans + moments + partial + unpadded + years_of_dates + digits
            ]
            said = []
            if digits:
                said.append(
                    f"{', '.join(digits)} hold(s) times of day, most written as HHMM digits "
                    "that also read as numbers (0930), so not taken as the time of day by "
                    "their values"
                )
            if unpadded:
                said.append(
                    f"{', '.join(unpadded)} hold(s) clocks as HHMM digits without their leading"
                    " zeros (930 for 09:30), which are not read as the time of day: write them"
                    " with four digits (0930) or as 09:30"
                )
            if years_of_dates:
                said.append(
                    f"{', '.join(years_of_dates)} hold(s) four-digit values that are the "
                    "years of the dates beside them, read as years, not as HHMM clocks"
                )
            if partial:
                said.append(
                    f"{', '.join(partial)} hold(s) times of day, too few (under 90%) to be "
                    "taken as the time of day by their values"
                )
            if spans:
                said.append(f"{', '.join(spans)} hold(s) durations, not the time of day")
            if moments:
                said.append(
                    f"{', '.join(moments)} name(s) another moment than the record's own (an "
                    "arrival or departure, a report or message sent, or when the record was "
                    "kept), not its time of day"
                )
            why = "; ".join(said)
            choice.evidence[role] = {
                "column": None,
                "by": "none",
                "evidence": why,
                "unfit": cols,
                "note": f"{why}: not added to the dates, whose records keep their date only "
                "(precision: day)"
                + (
                    f"; set columns: {{time_of_day: ...}} in the config if one of {cols!r} is "
                    "a clock"
                    if spans or moments or partial or digits
                    else ""
                ),
            }
            return None
    if role == "quantity" and not refused:
        found = _mass_header(raw, columns, used, choice)
        if found is not None:
            return found
    if identity:
        cands = [c for c in columns if c not in used and _looks_like_id(raw[c])]
        spec = ROLES[role]
        counters = [c for c in cands if _counts_rows(in_order()[c])]
        # Vessels numbered 1, 2, 3 reporting in turn count as a row number does; where
        # another column holds one value per such number (a status, a flag of each vessel)
        # the number is its vessel, and that column no identity: not chosen between.
        counters = [
            c
            for c in counters
            if not any(_attribute_of(in_order()[o], in_order()[c]) for o in cands if o != c)
        ]
        # One value on every row (a speed 'unit' of 'kn', a GPX 'src' of 'Garmin') says
        # nothing of whose the positions are: read as the id, every vessel would be one.
        constant = [c for c in cands if c not in counters and repeats(raw[c])[0] == 1]
        pickable = [
            c
            for c in cands
            if not (set(name_tokens(c)) & (spec.veto | UNIT_TOKENS | QUALIFIERS | _MEASURES))
            and c not in {r.split("'")[1] for r in refused}
            and _code_like(raw[c])
            and c not in counters
        ]
        # A column of one value in the rows read is passed over, but never makes another
        # column the vessel id: a file read in chunks decides on its first chunk (perhaps one
        # vessel's rows), where read whole the two would have been chosen between (refused)
        one_value = [c for c in pickable if c in constant]
        pickable = [c for c in pickable if c not in constant]
        refused = (
            refused
            + [
                f"{c!r} (numbers the rows, 0 or 1, 2, 3, ... starting again: a row number)"
                for c in counters
            ]
            + [
                f"{c!r} (one value, {str(raw[c][~missing_mask(raw[c])].iloc[0]).strip()!r}, "
                "on every row read: says nothing of which vessel)"
                for c in constant
            ]
        )
        if len(pickable) == 1 and not one_value:
            col = pickable[0]
            undecided(None)
            nu, nn = repeats(raw[col])
            return {
                "column": col,
                "by": "content",
                "evidence": f"no header names an identity; {col!r} is the only column of "
                f"codes whose values repeat across rows ({nu} distinct over {nn} rows)",
            }
        choice.evidence[role] = {
            "column": None,
            "by": "none",
            "evidence": "no column names an identity whose values repeat across rows",
            "refused": refused,
            "candidates": cands,
            **_first_chunk(whole),
        }
    elif refused:
        choice.evidence[role] = {
            "column": None,
            "by": "none",
            "evidence": "headers fit but values do not: " + "; ".join(refused),
            "unfit": [r.split("'")[1] for r in refused],
        }
    return None


def _mass_header(
    raw: _Frame, columns: list[str], used: set[str], choice: ColumnChoice
) -> dict[str, Any] | None:
    """Pick the one column whose header names a unit of mass (``Seized (kg)``) as the quantity.

    No header named a quantity; a header naming a mass over quantities is one.  Several such
    columns (one per drug, or a total beside its parts) are not chosen between: the evidence
    names them, and the summary says none was used.
    """
    fitting = []
    for col in columns:
        toks = set(name_tokens(col))
        if col in used or not toks & _MASS_TOKENS or toks & ROLES["quantity"].veto:
            continue
        if len(toks) == 1 and len(col.strip()) <= 2:  # a bare 'T' or 'g' says too little
            continue
        sample = _sample(raw[col])
        if len(sample) and quantity_fit(sample) >= 0.5:
            fitting.append(col)
    if len(fitting) == 1:
        col = fitting[0]
        return {
            "column": col,
            "by": "name",
            "evidence": f"header {col!r} names a unit of mass and no header names a quantity; "
            f"{share_to_percent(quantity_fit(_sample(raw[col])))} of sampled values are quantities",
        }
    if fitting:
        choice.evidence["quantity"] = {
            "column": None,
            "by": "none",
            "evidence": f"{len(fitting)} headers name a unit of mass (one column per "
            "commodity, or a total beside its parts): which one is the record's quantity "
            "would be a guess",
            "unfit": fitting,
        }
    return None


def unfit_column_notes(evidence: dict[str, dict[str, Any]], name: str) -> list[str]:
    """One note per role whose header names a column that was not used for its values.

    A 'time' column of which too few values are times of day, or several columns naming a
    mass: the records are read without them, and the summary says so rather than drop them
    unseen.
    """
    return [
        f"{name}: {e['note']}"
        if e.get("note")
        else f"{name}: column(s) {e['unfit']!r} named like the {role.replace('_', ' ')} were "
        f"not used: {e['evidence']}; set columns: {{{role}: ...}} in the config to use one"
        for role, e in evidence.items()
        if e.get("unfit") and e.get("column") is None
    ]


#: Header words of a grid cell's position (``cell_ll_lat``, ``lat_bin``, ``grid_lon``).
_CELL_WORDS = frozenset({"cell", "bin", "bins", "grid"})
#: Header words that, beside ``hours``, name time summed over a cell (``fishing_hours``,
#: ``vessel_hours``, ``Apparent Fishing Hours``), never a position's attribute.
_EFFORT_WORDS = frozenset({"fishing", "vessel", "vessels", "presence", "effort", "apparent"})


def gridded_hours(
    raw: pd.DataFrame, pick: dict, evidence: dict
) -> tuple[list[str], list[str]] | None:
    """Return the grid-cell position columns and the hour columns of a gridded product.

    Global Fishing Watch's fishing effort and vessel presence tables hold a cell's lower-left
    corner and the hours vessels spent in it per day or month, not positions nor events.
    Found when a position header names a cell, bin or grid, or when a column sums hours (a
    bare ``hours``, or ``hours`` with a word such as fishing, vessel or presence: never
    ``engine_hours``) and the time column holds days without a clock (the 4Wings API's
    ``lat``, ``lon``, ``date``, ``vessel_id``, ``hours``).  None when positions are named
    in the config (``evidence`` says ``by: config``), or when nothing says a grid.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file's columns (raw values).
    pick : dict
        Role -> column picked (``lat``, ``lon``, ``time``, ``time_of_day``).
    evidence : dict
        Role -> the evidence of its pick.
    """
    coords = [
        pick[r]
        for r in ("lat", "lon")
        if pick.get(r) is not None and evidence.get(r, {}).get("by") != "config"
    ]
    if len(coords) < 2:  # named in the config (or not found: refused next, as missing)
        return None
    cell = [c for c in coords if _CELL_WORDS & set(name_tokens(c))]
    hours = [
        c
        for c in raw.columns
        if "hours" in (toks := set(name_tokens(c))) and (_EFFORT_WORDS & toks or toks == {"hours"})
    ]
    time_col = pick.get("time")
    if not cell and hours:  # hours beside plain positions: a grid only if its times are days
        days_only = False
        if time_col is not None and pick.get("time_of_day") is None:
            text = raw[time_col].astype("string").str.strip()
            text = text[text.fillna("").ne("")]
            clock = text.str.contains(":", regex=False) | text.str.fullmatch(r"\d{9,}(\.\d*)?")
            days_only = len(text) > 0 and not clock.fillna(False).any()  # no epoch numbers
        if not days_only:
            hours = []
    if not cell and not hours:
        return None
    return cell, hours


def vessel_positions(raw: pd.DataFrame, name: str) -> str | None:
    """Say why a table is a track of vessel positions, or return None.

    A vessel id (``MMSI``) whose values repeat, two or more records per vessel on the median,
    beside a speed or course over ground (``SOG``, ``COG``) is what an AIS or tracker export
    holds: one row per position, many per vessel.  Read where seizure records or ports are
    expected, each ping would be an event or a port (an 84-minute AIS sample of the Solent
    became 18,620 seizures on one day).

    Parameters
    ----------
    raw : pandas.DataFrame
        The table's columns (raw values).
    name : str
        File name, for messages.

    Returns
    -------
    str or None
        The evidence (the columns and the records per vessel), or None when the table does not
        look like vessel positions.
    """
    choice = infer_columns(raw, ("vessel_id", "sog", "cog"), {}, name)
    vessel = choice.get("vessel_id")
    motion = [c for c in (choice.get("sog"), choice.get("cog")) if c is not None]
    if vessel is None or not motion or choice.evidence["vessel_id"].get("by") != "name":
        return None
    ids = raw[vessel][~missing_mask(raw[vessel])].astype("str").str.strip()
    if not len(ids):
        return None
    per_vessel = float(ids.value_counts().median())
    if per_vessel < 2:
        return None
    return (
        f"{vessel!r} names vessels ({ids.nunique()} over {len(ids)} records, {per_vessel:g} "
        f"each on the median) beside {' and '.join(repr(c) for c in motion)} (speed or course "
        "over ground)"
    )


#: Header tokens of an event record's own columns: what happened, what was taken, how much
#: (``attack_type``, ``commodity``, ``quantity_kg``, ``incident_date``).
_EVENT_WORDS = _EVENT_TOKENS | _fs(
    "attack attacks attacked hijack hijacked hijacking robbery piracy boarding boarded "
    "commodity commodities drug drugs narcotic narcotics quantity qty arrest arrests arrested "
    "victim victims casualty casualties killed injured offence offense crime"
)
#: Header tokens that name a port, harbour or anchorage: the places a ports list is of.
_PORT_WORDS = _fs(
    "port ports harbour harbor harbours harbors locode unlocode anchorage marina puerto porto "
    "hafen havn"
)
#: Header tokens of a record's date or time (a port list may date its entries too).
_WHEN_TOKENS = _DATE_TOKENS | _fs("time datetime timestamp")
#: A UN/LOCODE function classifier: 8 positions, a digit or ``B`` where the function applies.
_LOCODE_FUNCTION = r"[0-7B-]{8}"


def _distinct_share(values: pd.Series) -> tuple[float, int]:
    """Return the share of distinct values among the given ones, and how many are given."""
    nu, nn = repeats(values)
    return (nu / nn if nn else 0.0), nn


def _event_columns(raw: pd.DataFrame) -> list[str]:
    """Columns whose header names an event or what it was about (``attack_type``)."""
    return [str(c) for c in raw.columns if _EVENT_WORDS & set(name_tokens(c))]


#: Header tokens that name what a seizure record says was taken, or the seizure itself
#: (``Substance``, ``drug``, ``commodity``, ``seized``): a positions export has none.
_SEIZED_WHAT = _fs(
    "substance substances sustancia sustancias substancia substancias substanz sostanza "
    "sostanze stupefacente stupefacenti droga drogas droge drogen drogue drogues rauschgift "
    "betaubungsmittel commodity commodities drug drugs narcotic narcotics seizure seizures "
    "seized interdiction incautacion incautado decomiso aprehension apreensao apreendido "
    "saisie beschlagnahme sicherstellung "
    # what was smuggled (a coast guard's 'Contraband' column); no AIS export names it
    "contraband contrabando contrebande contrabbando schmuggelware schmuggelgut"
)
#: Header tokens of how much was seized, in the languages the quantity role reads
#: (``cantidad``, ``quantidade``, ``Menge``); not a mass or ``weight``: a port's crane lifts
#: ``100+ Tons`` and a positions export has a ship's ``Weight`` or a catch's ``kg``.
_SEIZED_HOW_MUCH = _fs("quantity qty cantidad quantite quantidade hoeveelheid quantita menge")


def seizure_columns(raw: pd.DataFrame) -> list[str]:
    """Return the columns whose header names an event, what was seized or how much.

    ``attack_type``, ``commodity`` and ``incident_date`` as :func:`dated_events` reads
    them, and a seizure's ``Substance`` or ``Cantidad``: a table that has one is records of
    events, not a ports list.  A mass (``Weight (kg)``, ``Lifts - 100+ Tons``) is not one
    of them: a list of ports says what its cranes lift.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table's columns (raw values).

    Returns
    -------
    list of str
        The columns, in the table's order.
    """
    words = _EVENT_WORDS | _SEIZED_WHAT | _SEIZED_HOW_MUCH
    return [str(c) for c in raw.columns if words & set(name_tokens(c))]


def seized_what_columns(raw: pd.DataFrame) -> list[str]:
    """Return the columns whose header names what was seized, or the seizure itself.

    ``Substance``, ``drug``, ``commodity``, ``seized``: no AIS or tracker export has one,
    while an event, a quantity or a mass may be a positions export's own (an ``event`` of a
    tracker, a ship's ``Weight``, a fishing vessel's catch in ``kg``).

    Parameters
    ----------
    raw : pandas.DataFrame
        The table's columns (raw values).

    Returns
    -------
    list of str
        The columns, in the table's order.
    """
    return [str(c) for c in raw.columns if _SEIZED_WHAT & set(name_tokens(c))]


def _place_column(raw: pd.DataFrame) -> str | None:
    """Return a column that names ports, one per row (``Main Port Name``, ``port``), or None."""
    for c in raw.columns:
        if not _PORT_WORDS & set(name_tokens(c)):
            continue
        share, nn = _distinct_share(raw[c])
        if nn >= 2 and share >= 0.8:
            return str(c)
    return None


def dated_events(raw: pd.DataFrame, name: str) -> str | None:
    """Say why a table is dated event records (incidents, seizures), or return None.

    A column of calendar dates beside a column whose header names the event or what it was
    about (``attack_type``, ``commodity``, ``quantity``, ``incident_date``) is a record of
    what happened, one row per event: read as a ports list, each event becomes a port (the
    7,511 pirate attacks of 1993-2020 became 7,510 ports named by the ship attacked).  A
    port list may date its entries (UN/LOCODE's ``Date`` is the entry's revision, ``0701``;
    OpenStreetMap's ``check_date``) but names no event; a column that names ports, one per
    row (``Main Port Name``), says the table is a ports list whatever else it holds.

    Parameters
    ----------
    raw : pandas.DataFrame
        The table's columns (raw values).
    name : str
        File name, for messages.

    Returns
    -------
    str or None
        The evidence (the date and event columns), or None when the table does not look
        like dated events.
    """
    events = _event_columns(raw)
    if not events or _place_column(raw) is not None:
        return None
    dates = [
        str(c)
        for c in raw.columns
        if _WHEN_TOKENS & set(name_tokens(c)) and date_fit(raw[c]) >= 0.8
    ]
    if not dates:
        return None
    return (
        f"{dates[0]!r} dates its {len(raw)} records and {', '.join(repr(c) for c in events[:3])} "
        "name an event or what it was about (an attack, an incident, a seizure, a commodity, "
        "a quantity)"
    )


def port_list(raw: pd.DataFrame, name: str) -> str | None:
    """Say why a table is a list of ports, or return None.

    A column that names ports, one per row (``Main Port Name``, ``port``), a column whose
    values say what kind of port each place is (OpenStreetMap's ``harbour=yes``,
    ``seamark:type=harbour``), or UN/LOCODE's function classifier (``1234----``), in a table
    without any column that names an event, what was seized or how much
    (:func:`seizure_columns`): read as seizure records,
    each port would be a seizure on the date of its entry (a revision date, an OSM
    ``check_date``).

    Parameters
    ----------
    raw : pandas.DataFrame
        The table's columns (raw values).
    name : str
        File name, for messages.

    Returns
    -------
    str or None
        The evidence (the column and what it holds), or None.
    """
    if seizure_columns(raw) or not len(raw):
        return None
    place = _place_column(raw)
    if place is not None:
        share, nn = _distinct_share(raw[place])
        return f"{place!r} names {nn} places, {share_to_percent(share)} of them distinct"
    for c in raw.columns:
        values = as_text(raw[c])
        values = values[values != ""].str.lower()
        if not len(values):
            continue
        kinds = values.isin(_PORT_WORDS).mean()
        flags = values.eq("yes").mean() if _PORT_WORDS & set(name_tokens(c)) else 0.0
        if max(kinds, flags) >= 0.8:
            return f"{str(c)!r} says each place is a port ({values.iloc[0]!r})"
        if "function" in name_tokens(c) and values.str.fullmatch(_LOCODE_FUNCTION).mean() >= 0.8:
            return f"{str(c)!r} holds UN/LOCODE function classifiers ({values.iloc[0]!r})"
    return None


#: Header tokens that name a ship's own identity (not a record's, a device's, an object's).
_SHIP_IDENTITY = _fs("mmsi imo ssvid callsign vessel ship boat")

#: Header tokens of a registered number that is one ship's alone (a name may change within a
#: voyage; these do not).
_REGISTERED_ID = _fs("mmsi imo ssvid callsign cfr uvi imei")


def _one_beside_several(raw: _Frame, col: str, below: list[str], role: str, name: str) -> None:
    """Refuse a one-valued identity ``col`` beside a registered number of several values.

    ``col`` holds one value while a column further down (MMSI, IMO, call sign) holds several,
    each on two rows or more.

    ``Vessel`` = ``Satellite`` on every row (the source, not a ship) beside an ``IMO`` of two
    ships read both as one vessel: their alternating positions were rejected as impossible
    speeds, or their tracks joined end to end, with exit 0.  Which column names the vessel
    is the user's to say.  A single stray value (a typo on one row) does not count, nor does
    a picked column that is itself a registered number: an MMSI of one value beside several
    IMOs is one transmitter, whose IMOs the vessel-identity check names.
    """
    nu, nn = repeats(raw[col])
    if nu != 1 or nn < 3 or _REGISTERED_ID & set(name_tokens(col)):
        return
    for other in below:
        if not _REGISTERED_ID & set(name_tokens(other)):
            continue
        text = _id_texts(raw[other])
        counts = text[text != "0"].value_counts()  # 0: AIS's "not available" IMO
        several = counts[counts >= 2]
        if len(several) >= 2:
            shown = ", ".join(repr(v) for v in several.index[:3])
            raise InputError(
                f"{name}: column {col!r} holds one value ({_id_texts(raw[col]).iloc[0]!r}) on "
                f"every row while {other!r} holds {len(counts)} ({shown}"
                f"{', ...' if len(counts) > 3 else ''}): read by {col!r}, several vessels "
                f"would be one; set columns: {{{role}: ...}} to the column that names the vessel"
            )


def _per_row(values: pd.Series) -> bool:
    """Whether at least 3 values are given and every one differs (a per-row id)."""
    nu, nn = repeats(values)
    return bool(nn >= 3 and nu == nn)


def _dates_beside_clocks(
    raw: _Frame, columns: list[str], used: set[str], clocks: str
) -> dict[str, Any] | None:
    """Return the pick of a column of dates beside the column ``clocks``, or None.

    ``clocks`` holds four digits under a clock's header, every one also a year; a column of
    dates beside it (not another moment's) is the record's date, and ``clocks`` its clock.
    """
    for col in columns:
        if col in used or col == clocks or set(name_tokens(col)) & OTHER_MOMENTS:
            continue
        share = date_fit(raw[col])
        if share >= 0.8:
            # said as the time of day will read them (_pick): years where each is its own
            # row's year, else clocks
            if _years_or_clocks(raw[clocks], raw[col], col).startswith("years"):
                why = "which gives only years, each the year of its row's date here"
            else:
                why = (
                    "whose four-digit values under a clock's header are its times of day "
                    "(HHMM), not years"
                )
            return {
                "column": col,
                "by": "content",
                "evidence": f"{share_to_percent(share)} of the values of {col!r} parse as dates; preferred "
                f"over {clocks!r}, {why}",
            }
    return None


def _years_only(values: pd.Series) -> bool:
    """Whether every sampled value is a bare four-digit year (``2023``, ``2023.0``)."""
    v = _sample(values)
    if not len(v) or values.dtype.kind == "M" or isinstance(values.dtype, pd.DatetimeTZDtype):
        return False
    if v.dtype.kind in "fiu":
        x = v.to_numpy(dtype="float64")
        return bool(((x == np.trunc(x)) & (x >= 1000) & (x <= 2999)).all())
    return bool(v.astype("str").str.fullmatch(r"\s*[12]\d{3}(?:\.0)?\s*").all())


def _compact_dates(values: pd.Series) -> bool:
    """Whether most sampled values are compact dates (``20230312``, ``20230312151500``).

    Recognition by content counts no bare number as a date (an MMSI would read as epoch
    seconds); beside a column of years, a column of yyyymmdd[HHMM[SS]] numbers whose header
    names a date (GDELT's ``SQLDATE`` beside its ``Year``) says the day, which the years
    lose.
    """
    v = _sample(values)
    if not len(v) or v.dtype.kind == "f":
        return False
    text = v.astype("str").str.strip()
    return bool(text.str.fullmatch(r"[12]\d{3}[01]\d[0-3]\d(?:\d{4}(?:\d{2})?)?").mean() >= 0.9)


#: A category ('Armed robbery', 'Cocaine HCl') is a few words; a narrative is more.
_CATEGORY_WORDS = 8


def _content_ok(
    values: pd.Series, role: str, identity: bool, *, exact: bool = False, column: str = ""
) -> tuple[bool, str]:
    """Whether the values fit the role a header suggests, and the evidence.

    A known whole name (``exact``) is trusted for positions and measures, so that bad values
    become per-record rejects; only a content of another kind (times of day under 'time')
    or a per-row id under an identity role overrules it.  Bare numbers such as ``2019``
    read as a clock (20:19) or a year: under a header that names a date or a year and no
    time of day (``column``) they are years.
    """
    if role in ("lat", "lon"):
        parsed, within, n = coordinate_fit(values, role)
        if n == 0:
            return True, "no values to check"
        return (
            parsed >= 0.1 or exact,
            f"{share_to_percent(parsed)} of {n} sampled values are coordinates",
        )
    if role == "time":
        if _utc_seconds(values):
            return False, "every value is a whole number 0-60 (the AIS UTC second), not a time"
        if values.dtype.kind in "fiuM" or isinstance(values.dtype, pd.DatetimeTZDtype):
            return True, "numeric or datetime values"
        if not len(_sample(values)):
            return True, "every value missing"
        toks = set(name_tokens(column))
        years = bool(toks & _DATE_TOKENS) and not toks & ROLES["time_of_day"].strong
        stamped = not years and _years_beside_dates(values, column)
        if stamped and _hhmm_under_stamp(values, column):
            # HHMM digits under a stamp header: 1830 or 2000 is a year only where every value
            # is one, as the time of day reads them -- taken as years here, a log of evening
            # clocks displaced the file's 'Date' and its records were dated 1830 and 2000
            stamped = _all_years(values)
        clocks = clock_fit(values, bare_numbers=not years, years=stamped)
        if clocks >= 0.5:
            return (
                False,
                f"{share_to_percent(clocks)} of sampled values are times of day without a date",
            )
        share = date_fit(values, numbers=True)
        if share < 0.1 and _hhmm_under_stamp(values, column) and _hhmm_digits_fit(values) >= 0.9:
            # 'Time stamp' of 930, 815, 605 (HHMM, the zeros dropped): trusted by its name, it
            # displaced the file's 'Date' and every record was rejected as date_unparseable
            return (
                False,
                f"{share_to_percent(share)} of sampled values parse as dates; they are HHMM clocks",
            )
        return share >= 0.1 or exact, f"{share_to_percent(share)} of sampled values parse as dates"
    if role == "coords" and not exact:
        # 'position_lat' names a position and holds one number: a latitude, which the pair
        # rule must see (taken as the coords, it left 'anchorage_lat' the only latitude)
        share = number_fit(values)
        if share >= 0.95:
            return (
                False,
                f"{share_to_percent(share)} of sampled values are single numbers, not pairs",
            )
        # 'Position time', 'Time (UTC) at position': a moment named after the fix, whose
        # dates or clocks were taken for the text of pairs (and the record lost its time)
        moments = _moment_share(values)
        if moments >= 0.5:
            return (
                False,
                f"{share_to_percent(moments)} of sampled values are dates or times, not pairs",
            )
    if role == "time_of_day":  # under a known name, values that are no clock keep their day
        span = _duration_example(values, hours=False)
        if span is not None:
            return False, f"holds durations ({span!r} is no time of day), not clocks"
        if day_fractions(_sample(values)) and not set(name_tokens(column)) & _AMOUNT_UNITS:
            return True, "every sampled value is a fraction of a day (a spreadsheet's time cell)"
        share = clock_fit(values)
        return share >= (
            0.5 if exact else 0.8
        ), f"{share_to_percent(share)} of sampled values are times of day"
    if role == "quantity":  # '1200 kg', '1,234.5': the quantity parser's shapes
        share = quantity_fit(_sample(values))
        return share >= 0.5 or exact or not len(_sample(values)), (
            f"{share_to_percent(share)} of sampled values are quantities (a number, maybe with a unit)"
        )
    if role == "quantity_unit":
        # a 'Units' column of numbers counts the items seized (3 packages, 3000 tablets):
        # taken for the unit, each quantity was reported 'kept as reported' in a unit '3'
        share = number_fit(values)
        if share >= 0.5:
            return False, f"{share_to_percent(share)} of sampled values are numbers, not units"
        return True, "text"
    if role in ("sog", "cog"):
        share = number_fit(values)
        return share >= 0.5 or exact or not len(_sample(values)), (
            f"{share_to_percent(share)} of sampled values are numbers"
        )
    if role == "note" and nautical_zone_header(column):
        share = zone_description_fit(values)
        if share >= 0.5:
            return (
                False,
                f"{share_to_percent(share)} of sampled values are a ship's log's zone "
                "descriptions (signed hours), not a note",
            )
        return True, "text"
    if role == "commodity":
        words = _sample(values).astype("str").str.split().str.len()
        if not exact and len(words) and float(words.median()) > _CATEGORY_WORDS:
            return False, f"free text (a median of {words.median():g} words), not a category"
        return True, "text"
    if identity:
        nu, nn = repeats(values)
        if nn == 0:  # a table of no rows (a header, a Parquet schema) has none to check
            return (
                (True, "no values to check") if not len(values) else (False, "every value missing")
            )
        if nn >= 3 and nu == nn:
            return False, f"a different value on every row ({nu} of {nn}): a record id"
        return True, f"{nu} distinct value(s) over {nn} rows"
    return True, "text"


def _moment_share(values: pd.Series) -> float:
    """Share of a sample that is a date or a time of day and no coordinate pair."""
    v = _sample(values)
    if not len(v) or v.dtype.kind in "fiub":
        return 0.0
    lat, lon, _ = split_pair(v)
    pair = parse_coordinate(lat, "lat")[0].notna() & parse_coordinate(lon, "lon")[0].notna()
    if float(pair.mean()) >= 0.5:  # '10.5, -61.2' parses as a date too
        return 0.0
    return max(clock_fit(v), date_fit(v))


def _content_numbers(values: pd.Series) -> np.ndarray:
    """Return the finite numbers of a column (a decimal comma read as a point)."""
    x = pd.to_numeric(
        values.astype("str").str.replace(",", ".", regex=False), errors="coerce"
    ).to_numpy(dtype="float64")
    return x[np.isfinite(x)]


#: The largest magnitude a position column found by its values quotes in its evidence.
CONTENT_MAX = re.compile(r"\(max \|value\| [^()]*\)")


def content_max(values: pd.Series) -> float | None:
    """Return the largest magnitude among a column's numbers (None without one).

    The evidence of a latitude/longitude found by its values quotes it (:data:`CONTENT_MAX`);
    a file read in chunks decides on its first and quotes the whole file's, the largest of
    its chunks', as a read of the whole file does.
    """
    x = _content_numbers(values)
    return float(np.abs(x).max()) if x.size else None


def with_content_max(evidence: str, largest: float) -> str:
    """Return the evidence of a position found by its values quoting ``largest``."""
    return CONTENT_MAX.sub(f"(max |value| {largest:g})", evidence)


def _content_positions(
    raw: _Frame, choice: ColumnChoice, columns: list[str], used: set[str]
) -> None:
    """Find latitude/longitude by their values when no header names them."""
    if "lat" not in choice.pick or "lon" not in choice.pick:
        return
    if choice.pick["lat"] is not None and choice.pick["lon"] is not None:
        return
    if choice.pick.get("coords") is not None:
        return
    fits: dict[str, tuple[float, float]] = {}
    for col in columns:
        if col in used:
            continue
        if number_fit(raw[col]) < 0.95:
            continue
        x = _content_numbers(raw[col])
        if x.size < 1:
            continue
        fits[col] = (float(np.abs(x).max()), float(np.ptp(x)))
    lat_ok = [c for c, (m, spread) in fits.items() if m <= 90 and spread > 0]
    lon_only = [c for c, (m, spread) in fits.items() if 90 < m <= 180]
    for role, pool in (("lat", lat_ok), ("lon", lon_only)):
        if choice.pick[role] is not None:
            pool[:] = [c for c in pool if c != choice.pick[role]]
    lat_pick, lon_pick = choice.pick["lat"], choice.pick["lon"]
    if lon_pick is None and len(lon_only) == 1:
        lon_pick = lon_only[0]
        lat_ok = [c for c in lat_ok if c != lon_pick]
        choice.evidence["lon"] = {
            "column": lon_pick,
            "by": "content",
            "evidence": f"the only numeric column with values beyond ±90 and within ±180 "
            f"(max |value| {fits[lon_pick][0]:g})",
        }
    if lat_pick is None and lon_pick is not None and len(lat_ok) == 1:
        lat_pick = lat_ok[0]
        choice.evidence["lat"] = {
            "column": lat_pick,
            "by": "content",
            "evidence": f"the only other numeric column with values within ±90 "
            f"(max |value| {fits[lat_pick][0]:g})",
        }
    if lat_pick is not None and lon_pick is not None:
        choice.pick["lat"], choice.pick["lon"] = lat_pick, lon_pick
        used.update({lat_pick, lon_pick})
    else:
        cands = sorted(set(lat_ok) | set(lon_only))
        why = f"no header names a latitude/longitude and the numeric columns {cands!r} do not "
        why += "decide which is which"
        if len(cands) >= 2 and all(set(name_tokens(c)) & _BOUND_WORDS for c in cands):
            why = (  # 'bbox_south', 'bbox_north': a box's edges; its centre is no event
                f"the numeric columns {cands!r} are the edges of a bounding box "
                "(south/north/west/east, min/max), not a point"
            )
        choice.evidence.setdefault(
            "lat", {"column": None, "by": "none", "evidence": why, "candidates": cands}
        )


# ---------------------------------------------------------------------- split coordinates

_HEMISPHERES = {
    "lat": frozenset({"N", "S", "NORTH", "SOUTH", "NORTE", "SUR", "SUL", "NORD", "SUD"}),
    "lon": frozenset({"E", "W", "EAST", "WEST", "ESTE", "EST", "OESTE", "OUEST", "OVEST"}),
}
_HEMISPHERE_HEADERS = {
    axis: frozenset(
        "hem hemi hemis hemisphere ns sn ew we n s e w dir direction ind indicator quadrant "
        # Spanish, Portuguese, German, Italian, Dutch ('Hemisferio', 'Hemisphäre', 'Emisfero')
        "hemisferio hemisphare hemisphaere emisfero halfrond "
        # a header of the two words or letters: 'Norte/Sur', 'Este/Oeste', 'E/O', 'O/W'
        "norte sur sul nord sud este oeste ouest ovest est ost o".split()
    )
    | extra
    for axis, extra in (
        ("lat", frozenset({"lat", "latitude"})),
        ("lon", frozenset({"lon", "lng", "long", "longitude"})),
    )
}
_DEGREE_TOKENS = frozenset({"deg", "degs", "degree", "degrees", "d"})
_PART_TOKENS = {
    "minutes": frozenset({"min", "mins", "minute", "minutes", "m"}),
    "seconds": frozenset({"sec", "secs", "second", "seconds", "s"}),
}


def _share_within(values: pd.Series, lo: float, hi: float, whole: bool) -> float:
    """Return the share of the non-blank values that are numbers in ``[lo, hi)`` (0 if none)."""
    text = as_text(values)
    x = pd.to_numeric(text[text != ""].str.replace(",", ".", regex=False), errors="coerce")
    if not len(x):
        return 0.0
    ok = (x >= lo) & (x < hi)
    if whole:
        ok &= x == x.round()
    return float(ok.mean())


#: Share of a part column's values that must fit it.  A named part is kept when most of its
#: values fit; those that do not make their record fail when the composed text is parsed.
#: Requiring every value to fit dropped the part for the whole file over one odd value (a
#: minute of 75, a hemisphere 'X'): every other record lost its minutes or its sign.
_PART_SHARE = 0.5
#: Hemisphere words, as the letters the degree-minute-second parser reads.
_HEMISPHERE_LETTERS = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTE": "N", "NORD": "N", "SUR": "S", "SUL": "S", "SUD": "S",
    "ESTE": "E", "EST": "E", "OESTE": "W", "OUEST": "W", "OVEST": "W",
}  # fmt: skip


def hemisphere_letters(column: str) -> dict[str, str]:
    """Return the hemisphere words of a column, and its ``O`` where its header says which.

    ``O`` is west in Spanish, Portuguese, French and Italian (oeste, ouest, ovest) and east
    in German (Ost): a header pairing it with ``E`` (``E/O``, ``Este/Oeste``) or with ``W``
    (``O/W``) says which; elsewhere ``O`` is no hemisphere (the record is rejected).
    """
    toks = set(name_tokens(column))
    if ({"e", "o"} <= toks) or toks & {"oeste", "ouest", "ovest", "este"}:
        return {**_HEMISPHERE_LETTERS, "O": "W"}
    if ({"o", "w"} <= toks) or "ost" in toks:
        return {**_HEMISPHERE_LETTERS, "O": "E"}
    return _HEMISPHERE_LETTERS


#: A compass point between the cardinal ones: a column holding one is a direction.
_COMPASS_POINT = r"[NS]{1,2}[EW]|[NSEW][NS][EW]|(?:NORTH|SOUTH)[ -]?(?:EAST|WEST)"
#: Values of a yes/no column, whose 'N' is no north.
_FLAG_VALUES = frozenset({"Y", "YES", "NO", "T", "F", "TRUE", "FALSE", "0", "1"})


def coordinate_parts(
    raw: pd.DataFrame,
    col: str,
    axis: str,
    taken: set[str],
    name: str = "",
    whole: WholeFile | None = None,
) -> dict[str, str]:
    """Find the columns completing a coordinate split over several (IMB/ASAM-style lists).

    ``Lat Deg`` of whole degrees beside ``Lat Min`` (0-60) and maybe ``Lat Sec``, and a
    column holding hemisphere letters (N/S for a latitude, E/W for a longitude): read
    alone, the degrees lose their minutes and their sign, and the position lands up to a
    hemisphere away.  The header names a part and most of its values must fit it; a record
    whose value does not fit is rejected when the composed text is parsed, never read
    without that part.  ``lat_min`` beside ``lat_max`` is a lower bound, not minutes.
    ``whole`` scans the whole file where ``raw`` is its first chunk: the hemisphere columns
    are judged, compared and refused on every record, as a read of the whole file does (a
    hemisphere column blank in the first chunk, or disagreeing only further on, was
    otherwise decided on the first chunk alone).

    Raises
    ------
    InputError
        Two columns hold hemisphere letters for the axis and disagree on a record (``Lat
        Hem`` beside ``Hem``): which gives the sign is a guess, and reading neither put
        every southern record north.
    """
    others = [str(c) for c in raw.columns if str(c) not in taken and str(c) != col]
    parts: dict[str, str] = {}
    base = [t for t in name_tokens(col) if t not in _DEGREE_TOKENS]
    bounds = any(
        "max" in (toks := name_tokens(c)) and [t for t in toks if t != "max"] == base
        for c in others
    )
    if _share_within(raw[col], -180, 181, whole=True) > _PART_SHARE:
        for part, words in _PART_TOKENS.items():
            if part == "seconds" and "minutes" not in parts:
                break
            for c in others:
                toks = name_tokens(c)
                if (
                    set(toks) & words
                    and [t for t in toks if t not in words] == base
                    and not (bounds and "min" in toks)
                    and _share_within(raw[c], 0, 60, whole=False) > _PART_SHARE
                ):
                    parts[part] = c
                    break
    scan = whole.pieces if whole is not None and whole.more() else None  # None: raw is all
    hemis = []
    for c in others:
        if not set(name_tokens(c)) & _HEMISPHERE_HEADERS[axis]:
            continue  # a Y/N flag that is 'N' on every row is no hemisphere
        frames = scan([c]) if scan is not None else iter([raw])
        with missing_memo_off():
            counts = [_letters(frame, c).value_counts() for frame in frames]
        seen = pd.concat(counts).groupby(level=0).sum() if counts else pd.Series(dtype="int64")
        seen = seen[seen.index != ""]
        # a compass point between the four (NE, SSW) makes it a direction, a Y beside the
        # N a yes/no flag ('armed_ind'), not a hemisphere
        values = seen.index.to_series()
        if (
            seen.sum()
            and seen[values.isin(_HEMISPHERES[axis]).to_numpy()].sum() / seen.sum() > _PART_SHARE
            and not values.str.fullmatch(_COMPASS_POINT).any()
            and not values.isin(_FLAG_VALUES).any()
        ):
            hemis.append(c)
    if len(hemis) > 1:
        n_differ, first, at = 0, "", 0
        with missing_memo_off():
            for frame in scan(hemis) if scan is not None else iter([raw]):
                letters = [_letters(frame, c) for c in hemis]
                differ = np.zeros(len(frame), dtype=bool)
                for other in letters[1:]:
                    differ |= ((letters[0] != other) & (other != "")).to_numpy(dtype=bool)
                if differ.any() and not n_differ:
                    i = int(np.flatnonzero(differ)[0])
                    first = f"record {at + i + 1}: " + " vs ".join(
                        repr(str(v.iloc[i])) for v in letters
                    )
                n_differ += int(differ.sum())
                at += len(frame)
        if n_differ:
            raise InputError(
                f"{name or 'a table'}: columns {hemis!r} all hold hemisphere letters beside "
                f"{col!r} and disagree on {n_differ} record(s) ({first}); which gives its sign "
                "is a guess: remove or rename the others"
            )
    if hemis:
        parts["hemisphere"] = hemis[0]
    else:
        _refuse_unnamed_hemispheres(raw, col, axis, others, name, scan)
    return parts


def _letters(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a hemisphere column's values as the letters they stand for (``""``: blank)."""
    return as_text(frame[column]).str.upper().replace(hemisphere_letters(column))


#: Records whose values say a column under an unknown header holds hemisphere letters.
_HEMISPHERE_SAMPLE = 5000


def _refuse_unnamed_hemispheres(
    raw: pd.DataFrame,
    col: str,
    axis: str,
    others: list[str],
    name: str,
    pieces: Callable[[list[str]], Iterator[pd.DataFrame]] | None = None,
) -> None:
    """Refuse hemisphere letters under a header not known as one, beside unsigned degrees.

    ``Lat, H, Lon, H`` (or a header in a language not read): the letters were never read
    and every southern (western) record was put north (east) without a word.  A column
    whose values are all the axis's letters, one of them S (W), beside degrees that carry
    no sign, is such a column: which way it was meant cannot be told from its name, so it
    is refused, naming it: evenly spaced records say the column is one of letters, every
    record is looked at for an S (W).  ``pieces`` (``raw`` the first chunk of the file they read) give
    the records a read of the whole file looks at, of the columns that may hold letters by
    the first chunk's values.
    """
    # in every language whose words are read: 'Sur', 'Sud', 'Oeste', 'Ovest' were passed
    # over, each such record put north (east) without a word
    flip = {"S" if axis == "lat" else "W"}
    flip |= {w for w, letter in _HEMISPHERE_LETTERS.items() if letter in flip}
    if pieces is not None:
        blank = _HEMISPHERES[axis] | {"", "NAN", "NONE", "<NA>"}
        # the whole read's spaced records always hold the first: any other of the first
        # chunk's may lie between them (a stray '?' on its second record passed a whole read
        # over, and dropped the column from a read in chunks, its S read north)
        others = [
            c for c in others if len(raw) and as_text(raw[c]).str.upper().iloc[:1].isin(blank).all()
        ]
        if not others:
            return
        # one pass counts the records and each column's S (W): a file of none is never refused
        total, flips = 0, {c: (0, "") for c in others}
        with missing_memo_off():
            for frame in pieces(others):
                total += len(frame)
                for c in others:
                    n, like = _flips(frame[c], flip)
                    if n:
                        flips[c] = (flips[c][0] + n, flips[c][1] or like)
        if not any(n for n, _ in flips.values()):
            return
        head = _spaced(pieces, [col, *others], total, _HEMISPHERE_SAMPLE)
    else:
        # evenly spaced records say the column is one of letters; its S (W) are counted on
        # every record, below (a few among 100,000 lie between the spaced ones)
        head = raw.iloc[:: max(1, len(raw) // _HEMISPHERE_SAMPLE)]
    deg = pd.to_numeric(as_text(head[col]).str.replace(",", ".", regex=False), errors="coerce")
    if not deg.notna().any() or (deg < 0).any():
        return  # signed degrees need no letter; text degrees ('10 30 S') carry their own
    for c in others:
        # a glance at the first values passes most columns over without finding their
        # missing values (a wide export's hundreds of attributes)
        # a null (a GeoJSON or Parquet None) is blank: astype(str) keeps it NaN, which passed
        # the column over, its S read north (filled here, not by as_text: a glance is no
        # column's missing mask, which a wide export's columns find once each)
        glance = head[c].iloc[:20].astype("str").fillna("").str.upper().str.strip()
        if not glance.isin(_HEMISPHERES[axis] | {"", "NAN", "NONE", "<NA>"}).all():
            continue
        text = as_text(head[c]).str.upper().str.strip()
        seen = text[text != ""]
        if not len(seen) or not seen.isin(_HEMISPHERES[axis]).all():
            continue
        # every record's S (W), not the spaced ones': a few southern records between them
        # were put north without a word
        n_flip, like = flips[c] if pieces is not None else _flips(raw[c], flip)
        if n_flip:
            letters = "N/S" if axis == "lat" else "E/W"
            raise InputError(
                f"{name or 'a table'}: column {c!r} holds hemisphere letters ({letters}; "
                f"{n_flip} like {like!r}) beside "
                f"{col!r}, whose degrees carry no sign, but its header names no hemisphere: "
                "read without it, those records would land in the other hemisphere; name it "
                f"after its axis ('{'Lat' if axis == 'lat' else 'Lon'} {letters}', 'Hemisphere') "
                "so that it is read, or remove it"
            )


def _flips(values: pd.Series, flip: set[str]) -> tuple[int, str]:
    """Return how many of ``values`` are one of ``flip`` (S, SUR ...) and the first such."""
    text = as_text(values).str.upper()
    hit = text.isin(flip).to_numpy(dtype=bool)
    return int(hit.sum()), (str(text.iloc[int(np.argmax(hit))]) if hit.any() else "")


def _spaced(
    pieces: Callable[[list[str]], Iterator[pd.DataFrame]], columns: list[str], total: int, n: int
) -> pd.DataFrame:
    """Return ``frame.iloc[::max(1, total // n)]`` of a whole file of ``total`` records."""
    with missing_memo_off():
        step, at, got = max(1, total // n), 0, []
        for frame in pieces(columns):
            got.append(frame.iloc[(-at) % step :: step])
            at += len(frame)
    return pd.concat(got, ignore_index=True) if got else pd.DataFrame(columns=columns)


def compose_coordinate(raw: pd.DataFrame, col: str, parts: dict[str, str]) -> pd.Series:
    """Return 'degrees minutes seconds hemisphere' text per record ('' where degrees miss)."""
    deg = as_text(raw[col])
    text = deg
    for part in ("minutes", "seconds", "hemisphere"):
        if part in parts:
            value = as_text(raw[parts[part]])
            if part == "hemisphere":  # 'North', or 'O' under 'E/O', as the parser's letter
                words = hemisphere_letters(parts[part])
                upper = value.str.upper()
                word = upper.isin(words.keys())
                value = value.where(~word, upper.map(words))
            text = text + " " + value
    return text.str.strip().where(deg != "", "")


def part_missing(raw: pd.DataFrame, col: str, parts: dict[str, str]) -> dict[str, np.ndarray]:
    """Return, per minutes or seconds column, where its cell is blank beside the degrees.

    Composed without it, ``10 N`` reads as 10°00'N: up to a degree (111 km) from a position
    whose minutes were lost, and nothing in the record tells a lost part from a zero one
    (a zero is written ``0``).  A record is counted at its first blank part only.
    """
    deg = (as_text(raw[col]) != "").to_numpy(dtype=bool)
    found = np.zeros(len(raw), dtype=bool)
    out: dict[str, np.ndarray] = {}
    for part in ("minutes", "seconds"):
        if part in parts:
            blank = deg & ~found & (as_text(raw[parts[part]]) == "").to_numpy(dtype=bool)
            out[parts[part]] = blank
            found |= blank
    return out


def hemisphere_missing(raw: pd.DataFrame, col: str, parts: dict[str, str]) -> np.ndarray:
    """Return True where a record's hemisphere cell is blank and nothing else gives the sign.

    Composed without its letter, ``10 30`` reads as north (east) of the equator: a guess,
    half the time a hemisphere away.  A signed degree (``-10``) or a position of zero
    degrees needs no letter.
    """
    n = len(raw)
    if "hemisphere" not in parts:
        return np.zeros(n, dtype=bool)
    deg = as_text(raw[col])
    blank = as_text(raw[parts["hemisphere"]]) == ""
    signed = deg.str.match(r"[-+\u2212]")
    size = np.zeros(n)
    for c in [col] + [parts[p] for p in ("minutes", "seconds") if p in parts]:
        text = as_text(raw[c]).str.replace(",", ".", regex=False)
        number = pd.to_numeric(text, errors="coerce").where(text != "", 0.0)
        size += number.abs().fillna(1.0).to_numpy(dtype="float64")  # text: not zero
    return ((deg != "") & blank & ~signed).to_numpy(dtype=bool) & (size != 0)
