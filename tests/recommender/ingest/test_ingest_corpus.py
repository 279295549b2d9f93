"""The malformed-file corpus (tests/data/bad): each file is rejected with the right line and
column and leaves the database as it was; the edge cases (tests/data/edge) are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from features.reference import Reference, load_reference
from recommender.db import repo
from recommender.errors import ImportValidationError
from recommender.ingest import import_dir, import_file

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"
KINDS = ("enterprises", "parks", "needs", "events", "participants", "outcomes")

# file, kind, line and column of the first error, a fragment of its expected/got text
BAD = [
    ("utf16le_bom.csv", "enterprises", 1, "(encoding)", "UTF-16-LE byte-order mark"),
    ("utf16be_bom.csv", "enterprises", 1, "(encoding)", "UTF-16-BE byte-order mark"),
    ("utf32_bom.csv", "enterprises", 1, "(encoding)", "UTF-32-LE byte-order mark"),
    ("utf16_no_bom.csv", "enterprises", 1, "(encoding)", "NUL bytes"),
    ("binary.csv", "enterprises", 1, "(encoding)", "NUL bytes"),
    ("latin1.csv", "enterprises", 2, "(encoding)", "outside GB 2312"),
    ("latin1_accents.csv", "enterprises", 2, "(encoding)", "bytes b'\\xe9 G"),
    ("bom_gbk_mix.csv", "enterprises", 2, "(encoding)", "UTF-8 after a UTF-8 byte-order mark"),
    ("empty.csv", "enterprises", 1, "(header)", "0 bytes"),
    ("header_only.csv", "enterprises", 2, "(row)", "only the header"),
    ("missing_column.csv", "enterprises", 1, "uscc", "a column uscc"),
    ("entity_bomb.xlsx", "enterprises", 0, "(file)", "entity declarations"),
    ("duplicate_header.csv", "enterprises", 1, "name", "企业名称 / 名称"),
    ("extra_fields.csv", "enterprises", 3, "(row)", "10 fields"),
    ("not_xlsx.xlsx", "enterprises", 0, "(file)", "a readable XLSX workbook"),
    ("old_excel.xls", "enterprises", 0, "(file)", "a .csv or .xlsx file"),
    ("bad_check_digit.csv", "enterprises", 3, "uscc", "check character E"),
    ("bad_uscc_format.csv", "enterprises", 2, "uscc", "18-character"),
    ("duplicate_keys.csv", "enterprises", 6, "uscc", "first on line 3"),
    ("unknown_city.csv", "enterprises", 2, "city", "东京市"),
    ("unknown_industry.csv", "enterprises", 2, "industry_code", "GB/T 4754-2017"),
    ("negative_employees.csv", "enterprises", 4, "employees", "a whole number >= 0"),
    ("revenue_text.csv", "enterprises", 2, "revenue_wan", "约三千万"),
    ("wrong_enum.csv", "enterprises", 3, "srdi_level", "one of none, province, national"),
    ("bad_bool.csv", "enterprises", 2, "is_leading", "是/否"),
    ("required_empty.csv", "enterprises", 5, "name", "required name"),
    ("mixed_good_bad.csv", "enterprises", 3, "city", "火星"),
    ("bad_date.csv", "events", 3, "date", "YYYY-MM-DD"),
    ("participant_unknown_event.csv", "participants", 2, "event_id", "E-NOPE"),
    ("outcome_unknown_candidate.csv", "outcomes", 3, "candidate_id", "91340300MA2N8K5Q1A"),
    ("bad_stage.csv", "outcomes", 2, "stage", "已完成"),
    ("need_unknown_owner.csv", "needs", 2, "owner_id", "CB-NONE"),
    ("formula.xlsx", "enterprises", 3, "employees", "=100*21 in cell F3"),
    ("merged.xlsx", "enterprises", 2, "name", "merged cells B2:C2"),
    ("empty_first_sheet.xlsx", "enterprises", 1, "(header)", "Sheet2"),
]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture
def seeded(session: Session, reference: Reference) -> Session:
    """A database holding the sample files (so references to sample keys resolve)."""
    import_dir(session, directory=SAMPLES, reference=reference)
    return session


def _counts(session: Session) -> dict[str, int]:
    return {k: len(repo.existing_keys(session, kind=k)) for k in KINDS}


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in (DATA / "bad").iterdir()}
    assert on_disk == {name for name, *_ in BAD}
    assert len(BAD) >= 22


@pytest.mark.parametrize(("name", "kind", "line", "column", "text"), BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_rejected_and_nothing_written(
    seeded: Session,
    reference: Reference,
    *,
    name: str,
    kind: str,
    line: int,
    column: str,
    text: str,
) -> None:
    before = _counts(seeded)
    with pytest.raises(ImportValidationError) as caught:
        import_file(seeded, kind=kind, path=DATA / "bad" / name, reference=reference)
    first = caught.value.errors[0]
    assert (first.line, first.column) == (line, column), str(caught.value)
    assert text in f"{first.expected} {first.got}", str(first)
    assert caught.value.kind == kind
    assert _counts(seeded) == before


def test_mixed_file_reports_every_bad_row(seeded: Session, reference: Reference) -> None:
    with pytest.raises(ImportValidationError) as caught:
        import_file(
            seeded, kind="enterprises", path=DATA / "bad" / "mixed_good_bad.csv",
            reference=reference,
        )  # fmt: skip
    found = [(e.line, e.column, e.got) for e in caught.value.errors]
    assert found == [(3, "city", "火星"), (5, "employees", "十二")]


def test_formula_and_merge_errors_name_the_cell(seeded: Session, reference: Reference) -> None:
    with pytest.raises(ImportValidationError) as caught:
        import_file(
            seeded, kind="enterprises", path=DATA / "bad" / "merged.xlsx", reference=reference
        )
    assert [str(e) for e in caught.value.errors] == [
        "line 2, column name: expected unmerged cells, got 'merged cells B2:C2'"
    ]


def test_file_over_the_size_limit_is_rejected_unread(
    seeded: Session, reference: Reference, tmp_path: Path
) -> None:
    big = tmp_path / "enterprises.csv"
    big.write_bytes((SAMPLES / "enterprises.csv").read_bytes() + b"\n" * 5000)
    before = _counts(seeded)
    with pytest.raises(ImportValidationError) as caught:
        import_file(seeded, kind="enterprises", path=big, reference=reference, max_bytes=4096)
    error = caught.value.errors[0]
    assert (error.line, error.column) == (0, "(file)")
    assert error.expected == "a file of at most 4096 bytes"
    assert error.got == f"{big.stat().st_size} bytes"
    assert _counts(seeded) == before


@pytest.mark.slow
def test_generated_file_over_ten_megabytes_is_rejected(
    seeded: Session, reference: Reference, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    line = (SAMPLES / "enterprises.csv").read_bytes().splitlines()[1] + b"\n"
    with big.open("wb") as f:
        f.write((SAMPLES / "enterprises.csv").read_bytes())
        f.write(line * (10 * 1024 * 1024 // len(line) + 1))
    assert big.stat().st_size > 10 * 1024 * 1024
    with pytest.raises(ImportValidationError, match="at most 10485760 bytes"):
        import_file(seeded, kind="enterprises", path=big, reference=reference, max_bytes=10 << 20)


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("trailing_blank_whitespace.csv", "utf-8"),
        ("gbk_crlf.csv", "gb18030"),
        ("double_bom.csv", "utf-8-sig"),
        ("named_sheet.xlsx", "xlsx"),
    ],
)
def test_edge_files_are_accepted_and_cleaned(
    session: Session, reference: Reference, name: str, encoding: str
) -> None:
    report = import_file(
        session, kind="enterprises", path=DATA / "edge" / name, reference=reference
    )
    assert (report.rows, report.inserted, report.encoding) == (4, 4, encoding)
    stored = repo.load_frame(session, kind="enterprises").set_index("uscc")
    row = stored.loc["91330200144072619E"]
    assert row["name"] == "宁波甬芯传感科技股份有限公司"  # no padding left
    assert row["city_code"] == "330200"
    assert row["employees"] == 2100
    assert bool(row["is_leading"]) is True
    assert row["srdi_level"] == "national"
    assert stored.loc["91310112MA1G6R3W27", "city_code"] == "310112"
