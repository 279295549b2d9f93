"""Validating the rows of an import file and turning them into a schema-conformed frame.

Every check is a vectorised pass over a column; each bad cell becomes one
:class:`~recommender.errors.RowError` (line, column, expected, got), read off a boolean mask.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.schema import SCHEMAS, conform
from features.uscc import valid_uscc_mask
from recommender.errors import RowError
from recommender.ingest import checks
from recommender.ingest.aliases import BOOLEAN_VALUES, ENUMS
from recommender.ingest.cities import CITY_EXAMPLES, CityResolver
from recommender.ingest.reading import RawTable
from recommender.ingest.registry import (
    CAPITAL_MESSAGE,
    IndustryNames,
    derive_contract_columns,
    parse_capital,
)

__all__ = ["FIELDS", "REFERENCES", "Field", "Validated", "key_strings", "validate_table"]


@dataclass(frozen=True)
class Field:
    """How one file column is parsed: its type, frame column and bounds."""

    name: str
    type: str  # id text uscc usccs city industry int year float bool enum date list slots capital
    out: str = ""
    lo: float | None = None
    hi: float | None = None

    @property
    def column(self) -> str:
        """The frame column it fills."""
        return self.out or self.name


_F = Field
FIELDS: Mapping[str, tuple[Field, ...]] = {
    "enterprises": (
        _F("uscc", "uscc"), _F("name", "text"), _F("city", "city", "city_code"),
        _F("industry_code", "industry"), _F("products", "list"), _F("district", "text"),
        _F("inputs", "list"), _F("chain_nodes", "list"), _F("employees", "int", lo=0),
        _F("revenue_wan", "float", lo=0), _F("founded", "year", lo=1800, hi=2100),
        _F("is_leading", "bool"), _F("srdi_level", "enum"), _F("is_high_tech", "bool"),
        _F("listed", "bool"), _F("status", "enum"), _F("founded_on", "date"),
        _F("registered_capital_wan", "capital"), _F("capital_currency", "enum"),
        _F("size_band", "enum"), _F("chain_nodes_source", "enum"),
    ),
    "parks": (
        _F("park_id", "id"), _F("name", "text"), _F("city", "city", "city_code"),
        _F("leading_industries", "text"), _F("level", "text"),
        _F("partner_city", "city", "partner_city_code"), _F("area_ha", "float", lo=0),
        _F("lat", "float", lo=-90, hi=90), _F("lon", "float", lo=-180, hi=180),
        _F("chain_nodes", "list"),
    ),
    "needs": (
        _F("need_id", "id"), _F("owner_kind", "enum"), _F("owner_id", "id"),
        _F("description", "text"), _F("chain_nodes", "list"), _F("industry_code", "industry"),
        _F("created", "date"),
    ),
    "events": (
        _F("event_id", "id"), _F("name", "text"), _F("date", "date"),
        _F("city", "city", "city_code"), _F("venue", "text"), _F("n_slots", "int", lo=1),
        _F("slot_minutes", "int", lo=1, hi=1440), _F("n_tables", "int", lo=1),
        _F("theme_chains", "list"),
    ),
    "participants": (
        _F("event_id", "id"), _F("uscc", "uscc"), _F("role", "enum"),
        _F("min_meetings", "int", lo=0), _F("max_meetings", "int", lo=0),
        _F("available_slots", "slots"), _F("must_meet", "usccs"), _F("no_meet", "usccs"),
    ),
    "outcomes": (
        _F("query_kind", "enum"), _F("query_id", "id"), _F("candidate_id", "id"),
        _F("stage", "enum"), _F("date", "date"), _F("event_id", "id"),
        _F("amount_wan", "float", lo=0),
    ),
    "projects": (
        _F("project_id", "id"), _F("name", "text"), _F("investor_name", "text"),
        _F("investor_uscc", "uscc"), _F("city", "city", "city_code"), _F("park_id", "id"),
        _F("source_city_code", "city"), _F("industry", "text"), _F("chain_nodes", "list"),
        _F("stage", "enum"), _F("stage_date", "date"), _F("signed_date", "date"),
        _F("agreed_investment_yi", "float", lo=0), _F("fixed_asset_yi", "float", lo=0),
        _F("land_mu", "float", lo=0), _F("contact", "text"), _F("source_list", "text"),
        _F("model_version", "text"),
    ),
    "park_members": (
        _F("park_id", "id"), _F("uscc", "uscc"), _F("since", "date"), _F("source", "enum"),
    ),
}  # fmt: skip

# kind -> (file column, the kind whose keys it must name, condition (column, values) or None)
REFERENCES: Mapping[str, tuple[tuple[str, str, tuple[str, tuple[str, ...]] | None], ...]] = {
    "needs": (
        ("owner_id", "enterprises", ("owner_kind", ("enterprise",))),
        ("owner_id", "parks", ("owner_kind", ("park",))),
    ),
    "participants": (("event_id", "events", None), ("uscc", "enterprises", None)),
    "outcomes": (
        ("query_id", "enterprises", ("query_kind", ("supplier", "customer"))),
        ("query_id", "parks", ("query_kind", ("investor",))),
        ("candidate_id", "enterprises", None),
        ("event_id", "events", None),
    ),
    "projects": (("park_id", "parks", None),),
    "park_members": (("park_id", "parks", None), ("uscc", "enterprises", None)),
}
_MAX_ID = 64
_Reporter = Callable[[str, np.ndarray, "str | list[str]", "pd.Series | None"], None]
_UPPER_IDS = {  # ids that are USCCs (compared upper-cased) when the condition holds
    "needs": (("owner_id", ("owner_kind", ("enterprise",))),),
    "outcomes": (
        ("query_id", ("query_kind", ("supplier", "customer"))),
        ("candidate_id", None),
    ),
}


@dataclass(frozen=True)
class Validated:
    """The outcome of validating one file."""

    kind: str
    frame: pd.DataFrame  # the rows without errors, conformed to the kind's schema
    errors: list[RowError]  # every problem, ordered by line then column
    keys: frozenset[str]  # keys of the good rows (participants: "event_id|uscc")
    total_rows: int
    columns: tuple[str, ...] = ()  # the frame columns the file carries
    partial: bool = False  # a list: rows update firms already stored (by uscc, else name)
    lines: tuple[int, ...] = ()  # file line of each row of ``frame``


def key_strings(frame: pd.DataFrame, kind: str) -> pd.Series:
    """Key of every row of a conformed frame as one string ("|"-joined for composite keys)."""
    parts = []
    for column in SCHEMAS[kind].key:
        s = frame[column]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = s.dt.strftime("%Y-%m-%d")
        parts.append(s.astype("str"))
    out = parts[0]
    for part in parts[1:]:
        out = out + "|" + part
    return out


def _enum_message(name: str) -> str:
    table = ENUMS[name]
    canonical = sorted(set(table.values()), key=list(table.values()).index)
    others = [k for k, v in table.items() if k != v]
    return f"one of {', '.join(canonical)} (or {'/'.join(others[:8])})"


def validate_table(
    table: RawTable,
    *,
    cities: CityResolver,
    industry_codes: Collection[str],
    known: Mapping[str, Collection[str]] | None = None,
    roles: Mapping[str, str] | None = None,
    industry_names: IndustryNames | None = None,
) -> Validated:
    """Check every row of ``table`` and build the conformed frame of its good rows.

    Parameters
    ----------
    table : the file's rows, from :func:`recommender.ingest.reading.read_table`.
    cities : resolves the ``city``/``partner_city`` columns to city codes.
    industry_codes : the GB/T 4754-2017 codes (``code`` column of the industries frame).
    known : for the kinds this kind refers to, the keys that exist already (in the database
        or in files of the same import); a missing kind counts as no keys.
    industry_names : GB/T 4754-2017 names, so that 国标行业 names (any level) and the name
        columns of registry exports become codes; without it only codes are accepted.
    roles : participants only: "event_id|uscc" -> role of the participants already stored
        for the file's events. A ``must_meet``/``no_meet`` entry must name a participant of
        the same event with the opposite role, registered in this file or in ``roles``
        (a row of the file replaces the stored one).

    Returns
    -------
    Validated
        With ``errors`` empty when the file can be imported as it is.
    """
    kind, raw, lines = table.kind, table.frame, table.lines
    if kind == "enterprises" and industry_names is not None:
        raw = derive_contract_columns(raw, cities=cities, industries=industry_names)
    found = _Problems(raw, lines, {f.name: i for i, f in enumerate(FIELDS[kind])})
    if table.partial:
        _check_identified(raw, found.report)
    parsing = _Parsing(
        kind=kind,
        partial=table.partial,
        raw_columns=frozenset(raw.columns),
        cities=cities,
        codes=frozenset(industry_codes),
        industry_names=industry_names,
        report=found.report,
    )
    out = _parse_fields(parsing, raw)
    frame = pd.DataFrame(out)
    _check_references(kind, frame, known or {}, found.bad_cells, found.report)
    if kind == "participants":
        _check_counterparts(frame, roles or {}, found.bad_cells, found.report)
    good = found.good_rows()
    if table.partial:
        return _partial_result(table, frame, good, found.errors)
    n = len(raw)
    if n:
        conformed_all = _conform_partial(frame, kind)
        good &= ~_duplicate_keys(kind, conformed_all, found)
        result = conformed_all.loc[good].reset_index(drop=True)
    else:
        result = conform(pd.DataFrame(columns=SCHEMAS[kind].required), SCHEMAS[kind])
    found.errors.sort(key=lambda t: (t[0], t[1]))
    return Validated(
        kind=kind,
        frame=result,
        errors=[e for _, _, e in found.errors],
        keys=frozenset(key_strings(result, kind)),
        total_rows=n,
        columns=tuple(c for c in frame.columns if c in SCHEMAS[kind].names),
        lines=tuple(int(x) for x in lines[good]) if n else (),
    )


class _Problems:
    """What the checks of one file find: every row error (with its line and the column's
    place, for ordering) and, per column, the cells at fault."""

    def __init__(self, raw: pd.DataFrame, lines: np.ndarray, order: Mapping[str, int]) -> None:
        self.raw, self.lines, self.order = raw, lines, order
        self.errors: list[tuple[int, int, RowError]] = []
        self.bad_cells: dict[str, np.ndarray] = {}

    def report(
        self,
        column: str,
        mask: np.ndarray,
        expected: str | list[str],
        got: pd.Series | None = None,
    ) -> None:
        """One error per True cell of ``mask`` (``expected`` per cell when a list)."""
        shown = self.raw[column] if got is None else got
        for j, i in enumerate(np.flatnonzero(mask).tolist()):
            what = expected if isinstance(expected, str) else expected[j]
            line = int(self.lines[i])
            self.errors.append(
                (line, self.order.get(column, 99), RowError(line, column, what, str(shown.iat[i])))
            )
        n = len(self.raw)
        self.bad_cells[column] = self.bad_cells.get(column, np.zeros(n, dtype=bool)) | mask

    def good_rows(self) -> np.ndarray:
        """Rows with no bad cell."""
        good = np.ones(len(self.raw), dtype=bool)
        for mask in self.bad_cells.values():
            good &= ~mask
        return good


@dataclass(frozen=True)
class _Parsing:
    """What a column's parser needs besides its values."""

    kind: str
    partial: bool
    raw_columns: frozenset[str]
    cities: CityResolver
    codes: frozenset[str]
    industry_names: IndustryNames | None
    report: _Reporter


# a column's parser: (how, field, values, present, out) -> the parsed column; it reports
# bad cells and may add derived columns to ``out``
_Parser = Callable[[_Parsing, Field, pd.Series, np.ndarray, dict[str, pd.Series]], pd.Series]


def _parse_fields(how: _Parsing, raw: pd.DataFrame) -> dict[str, pd.Series]:
    """Every known column of the file parsed by its field's type (required ones present)."""
    required = set() if how.partial else set(SCHEMAS[how.kind].required)
    out: dict[str, pd.Series] = {}
    for field in FIELDS[how.kind]:
        if field.name not in raw.columns:
            continue
        values = raw[field.name]
        present = np.asarray(values.ne(""), dtype=bool)
        if field.column in required and not present.all():
            how.report(field.name, ~present, f"a value (required {field.name})", None)
        out[field.column] = _PARSERS.get(field.type, _parse_text)(how, field, values, present, out)
    n = len(raw)
    for column, condition in _UPPER_IDS.get(how.kind, ()):
        if column in out:
            when = _condition(out, condition, n)
            out[column] = out[column].where(~when, out[column].str.upper())
    if how.kind == "enterprises":
        _fill_founded(out)
    return out


def _parse_uscc(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, bad_format, bad_check = checks.parse_uscc(values)
    how.report(field.name, bad_format, checks.USCC_FORMAT_MESSAGE, None)
    messages = [checks.uscc_check_message(c) for c in clean[bad_check]]
    how.report(field.name, bad_check, messages, None)
    return clean


def _parse_city(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean = how.cities.resolve(values)
    if not how.partial:  # a list's city only tells apart firms of one name
        unknown = present & np.asarray(clean.eq(""), dtype=bool)
        how.report(field.name, unknown, f"a known city (e.g. {CITY_EXAMPLES})", None)
    return clean


def _parse_industry(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, bad = checks.parse_industry(values, how.codes, how.industry_names)
    how.report(field.name, bad, checks.INDUSTRY_MESSAGE, None)
    return clean


def _parse_year(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, on, bad = checks.parse_year(values, lo=field.lo, hi=field.hi)
    how.report(field.name, bad, checks.YEAR_MESSAGE, None)
    if "founded_on" not in how.raw_columns and bool(on.notna().any()):
        out["founded_on"] = on
    return clean


def _parse_capital_column(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, currency, bad = parse_capital(values)
    how.report(field.name, bad, CAPITAL_MESSAGE, None)
    if "capital_currency" not in how.raw_columns:
        out["capital_currency"] = currency
    return clean


def _parse_number(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    integer = field.type == "int"
    clean, bad = checks.parse_number(values, integer=integer, lo=field.lo, hi=field.hi)
    expected = checks.number_message(integer=integer, lo=field.lo, hi=field.hi)
    how.report(field.name, bad, expected, None)
    return clean


def _parse_bool(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, bad = checks.parse_bool(values, BOOLEAN_VALUES)
    how.report(field.name, bad, "true/false, 1/0, 是/否 or Y/N", None)
    return clean


def _parse_enum(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    default = {"srdi_level": "none", "status": "active"}.get(field.name, "")
    qualified = f"{how.kind}.{field.name}"
    enum = qualified if qualified in ENUMS else field.name
    spelled = checks.enum_spelling(values) if how.kind == "enterprises" else values
    clean, bad = checks.parse_enum(spelled, ENUMS[enum], default=default)
    how.report(field.name, bad, _enum_message(enum), None)
    return clean


def _parse_date(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, bad = checks.parse_date(values)
    how.report(field.name, bad, checks.DATE_MESSAGE, None)
    return clean


def _parse_list(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, _ = checks.parse_list(values)
    return clean


def _parse_usccs(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, bad_codes = checks.parse_uscc_list(values)
    bad = np.asarray(bad_codes.ne(""), dtype=bool)
    how.report(field.name, bad, checks.USCC_LIST_MESSAGE, bad_codes)
    return clean


def _parse_slots(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    clean, bad = checks.parse_slots(values)
    how.report(field.name, bad, "slot indexes such as 0;1;4 (whole numbers >= 0)", None)
    return clean


def _parse_text(
    how: _Parsing, field: Field, values: pd.Series, present: np.ndarray, out: dict[str, pd.Series]
) -> pd.Series:
    if field.type == "id":
        too_long = np.asarray(values.str.len() > _MAX_ID, dtype=bool)
        how.report(field.name, too_long, f"an id of at most {_MAX_ID} characters", None)
    return values


_PARSERS: Mapping[str, _Parser] = {
    "uscc": _parse_uscc,
    "city": _parse_city,
    "industry": _parse_industry,
    "year": _parse_year,
    "capital": _parse_capital_column,
    "int": _parse_number,
    "float": _parse_number,
    "bool": _parse_bool,
    "enum": _parse_enum,
    "date": _parse_date,
    "list": _parse_list,
    "usccs": _parse_usccs,
    "slots": _parse_slots,
}  # id and text: _parse_text


def _duplicate_keys(kind: str, conformed: pd.DataFrame, found: _Problems) -> np.ndarray:
    """Rows whose key an earlier row of the file already has (reported, naming that line);
    rows with a bad key cell are left to their own error."""
    n = len(conformed)
    lines = found.lines
    keys = key_strings(conformed, kind)
    key_ok = np.ones(n, dtype=bool)
    for column in SCHEMAS[kind].key:
        file_col = {"city_code": "city"}.get(column, column)
        key_ok &= ~found.bad_cells.get(file_col, np.zeros(n, dtype=bool))
    dup = np.zeros(n, dtype=bool)
    dup[key_ok] = np.asarray(keys[key_ok].duplicated(keep="first"), dtype=bool)
    if dup.any():
        first = dict(zip(keys[key_ok & ~dup], lines[key_ok & ~dup].tolist(), strict=True))
        label = "+".join(SCHEMAS[kind].key)
        for i in np.flatnonzero(dup).tolist():
            line, key = int(lines[i]), str(keys.iat[i])
            got = f"{key} (first on line {first[key]})"
            found.errors.append(
                (line, 1000, RowError(line, label, "a key not already in the file", got))
            )
    return dup


def _check_identified(raw: pd.DataFrame, report: _Reporter) -> None:
    """Every row of a list names its firm: a 统一社会信用代码 or an exact firm name."""
    blank = np.ones(len(raw), dtype=bool)
    for column in ("uscc", "name"):
        if column in raw.columns:
            blank &= np.asarray(raw[column].eq(""), dtype=bool)
    column = "uscc" if "uscc" in raw.columns else "name"
    report(column, blank, "a 统一社会信用代码 or a firm name (企业名称) to find the firm by", None)


def _fill_founded(out: dict[str, pd.Series]) -> None:
    """founded (the year) from founded_on where only the date is given."""
    if "founded_on" not in out:
        return
    year = out["founded_on"].dt.year.astype("Int64")
    out["founded"] = out["founded"].astype("Int64").fillna(year) if "founded" in out else year


def _partial_result(
    table: RawTable, frame: pd.DataFrame, good: np.ndarray, errors: list[tuple[int, int, RowError]]
) -> Validated:
    """A list's rows, typed, with only the columns it carries (matched later by importing)."""
    errors.sort(key=lambda t: (t[0], t[1]))
    schema = SCHEMAS[table.kind]
    carried = [c for c in schema.names if c in frame.columns]
    full = _conform_partial(frame, table.kind)
    result = full.loc[good, carried].reset_index(drop=True)
    return Validated(
        kind=table.kind,
        frame=result,
        errors=[e for _, _, e in errors],
        keys=frozenset(),
        total_rows=len(frame),
        columns=tuple(carried),
        partial=True,
        lines=tuple(int(x) for x in table.lines[good]),
    )


def _condition(
    out: Mapping[str, pd.Series] | pd.DataFrame,
    condition: tuple[str, tuple[str, ...]] | None,
    n: int,
) -> np.ndarray:
    if condition is None:
        return np.ones(n, dtype=bool)
    column, values = condition
    if column not in out:
        return np.zeros(n, dtype=bool)
    return np.asarray(out[column].isin(list(values)), dtype=bool)


def _check_references(
    kind: str,
    frame: pd.DataFrame,
    known: Mapping[str, Collection[str]],
    bad_cells: Mapping[str, np.ndarray],
    report: _Reporter,
) -> None:
    n = len(frame)
    for column, target, condition in REFERENCES.get(kind, ()):
        if column not in frame.columns:
            continue
        values = frame[column]
        applies = _condition(frame, condition, n) & np.asarray(values.ne(""), dtype=bool)
        applies &= ~bad_cells.get(column, np.zeros(n, dtype=bool))
        keys = known.get(target, ())
        missing = applies & ~np.asarray(values.isin(list(keys)), dtype=bool)
        if missing.any():
            noun = target[:-1]
            expected = f"the key of a {noun} in this import or in the database"
            report(column, missing, expected, values)


_OPPOSITE = {"leading": "supporting", "supporting": "leading"}
_PREFERENCE_COLUMNS = ("must_meet", "no_meet")


def _check_counterparts(
    frame: pd.DataFrame,
    stored: Mapping[str, str],
    bad_cells: Mapping[str, np.ndarray],
    report: _Reporter,
) -> None:
    """Every ``must_meet``/``no_meet`` code names an opposite-role participant of the event;
    no code is in both lists of one row."""
    n = len(frame)
    if n == 0 or not {"event_id", "uscc", "role"} <= set(frame.columns):
        return
    none = np.zeros(n, dtype=bool)
    row_ok = ~(bad_cells.get("event_id", none) | bad_cells.get("role", none))
    row_ok &= np.asarray(frame["event_id"].ne("") & frame["role"].isin(list(_OPPOSITE)))
    # the file's own rows first: on a duplicate key the first row is the one kept
    file_ok = row_ok & ~bad_cells.get("uscc", none) & np.asarray(frame["uscc"].ne(""))
    keys = (frame["event_id"] + "|" + frame["uscc"])[file_ok]
    in_file = pd.Series(frame["role"][file_ok].to_numpy(), index=keys.to_numpy())
    roles: dict[str, str] = dict(stored)
    first = in_file[~in_file.index.duplicated()]
    roles.update(zip(first.index.astype(str), first.astype(str), strict=True))
    # firms whose own row has a bad role are reported there, not again at each mention
    named = ~(bad_cells.get("event_id", none) | bad_cells.get("uscc", none))
    unsure = set((frame["event_id"] + "|" + frame["uscc"])[named & ~row_ok]) - set(roles)
    event = frame["event_id"].to_numpy(dtype=object)
    want = frame["role"].map(_OPPOSITE).to_numpy(dtype=object)
    lists: dict[str, pd.DataFrame] = {}
    for column in _PREFERENCE_COLUMNS:
        if column not in frame.columns:
            continue
        long = checks.split_long(frame[column])
        # invalid codes are reported already; rows without a usable event or role too
        long = long[row_ok[long["row"].to_numpy()] & valid_uscc_mask(long["item"])]
        lists[column] = long
        rows = long["row"].to_numpy()
        keys = event[rows] + "|" + long["item"]
        found = keys.map(roles)
        wrong = long[np.asarray(found.ne(want[rows]) & ~keys.isin(unsure), dtype=bool)]
        if wrong.empty:
            continue
        got = checks.join_by_row(wrong, n)
        mask = np.asarray(got.ne(""), dtype=bool)
        expected = [
            f"USCCs of {want[i]} participants of event {event[i]} "
            "(registered in this file or already stored)"
            for i in np.flatnonzero(mask).tolist()
        ]
        report(column, mask, expected, got)
    if len(lists) == len(_PREFERENCE_COLUMNS):
        both = lists["must_meet"].merge(lists["no_meet"], on=["row", "item"])
        if len(both):
            got = checks.join_by_row(both, n)
            mask = np.asarray(got.ne(""), dtype=bool)
            report("no_meet", mask, "counterparts not also listed in must_meet", got)


def _conform_partial(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Conform the parsed columns; unparseable cells are already NA/"" so nothing raises."""
    present = frame.copy()
    for column in SCHEMAS[kind].required:
        if column not in present.columns:
            present[column] = ""
    return conform(present, SCHEMAS[kind])
