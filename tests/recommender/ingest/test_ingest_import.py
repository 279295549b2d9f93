"""import_file / import_dir / export_frame against a real database, and the CLI commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from features.reference import Reference, load_reference
from recommender.db import migrate, repo
from recommender.errors import ImportValidationError, ValidationError
from recommender.ingest import export_frame, import_dir, import_file

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"
KINDS = ("enterprises", "parks", "needs", "events", "participants", "outcomes")
SAMPLE_ROWS = {"enterprises": 10, "parks": 3, "needs": 3, "events": 2, "participants": 6,
               "outcomes": 7}  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


def counts(session: Session) -> dict[str, int]:
    return {k: len(repo.existing_keys(session, kind=k)) for k in KINDS}


def test_import_dir_loads_every_sample_and_is_idempotent(
    session: Session, reference: Reference
) -> None:
    reports = import_dir(session, directory=SAMPLES, reference=reference)
    assert [r.kind for r in reports] == list(KINDS)
    assert {r.kind: r.inserted for r in reports} == SAMPLE_ROWS
    assert {r.kind: r.encoding for r in reports}["needs"] == "gb18030"
    assert {r.kind: r.sheet for r in reports}["events"] == "活动"
    again = import_dir(session, directory=SAMPLES, reference=reference)
    assert {r.kind: (r.inserted, r.updated, r.unchanged) for r in again} == {
        k: (0, 0, n) for k, n in SAMPLE_ROWS.items()
    }
    assert counts(session) == SAMPLE_ROWS
    events = repo.load_frame(session, kind="events")
    assert events["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-06-18", "2024-09-10"]
    assert events["city_code"].tolist() == ["340300", "341200"]
    needs = repo.load_frame(session, kind="needs").set_index("need_id")
    assert needs.loc["N-2024-002", "created"] == pd.Timestamp("2024-04-12")


def test_import_file_counts_updates_and_dry_run(
    session: Session, reference: Reference, tmp_path: Path
) -> None:
    first = import_file(
        session, kind="enterprises", path=SAMPLES / "enterprises.csv", reference=reference
    )
    assert (first.inserted, first.updated, first.unchanged) == (10, 0, 0)
    changed = tmp_path / "enterprises.csv"
    text = (SAMPLES / "enterprises.csv").read_text(encoding="utf-8-sig")
    changed.write_text(text.replace(",420,", ",450,"), encoding="utf-8")
    dry = import_file(session, kind="enterprises", path=changed, reference=reference, dry_run=True)
    assert (dry.dry_run, dry.rows, dry.inserted, dry.existing) == (True, 10, 0, 10)
    stored = repo.load_frame(session, kind="enterprises").set_index("uscc")
    assert stored.loc["91340300MA2N8K5Q0C", "employees"] == 420  # dry run wrote nothing
    second = import_file(session, kind="enterprises", path=changed, reference=reference)
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 9)
    stored = repo.load_frame(session, kind="enterprises").set_index("uscc")
    assert stored.loc["91340300MA2N8K5Q0C", "employees"] == 450


def test_import_dir_is_all_or_nothing(
    session: Session, reference: Reference, tmp_path: Path
) -> None:
    for name in ("enterprises.csv", "events.xlsx", "participants.csv", "parks.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    bad = (SAMPLES / "participants.csv").read_text(encoding="utf-8").replace("龙头", "主办", 1)
    (tmp_path / "participants.csv").write_text(bad, encoding="utf-8")
    (tmp_path / "parks.csv").write_text("park_id,name,city\nP1,园区,蚌埠\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as caught:
        import_dir(session, directory=tmp_path, reference=reference)
    err = caught.value
    assert err.kind == "parks"  # the first bad file in dependency order
    assert [(e.line, e.column) for e in err.errors] == [(1, "leading_industries")]
    assert "participants.csv (1)" in err.message
    assert any("line 2, column role" in note for note in err.__notes__)
    assert counts(session) == dict.fromkeys(KINDS, 0)


def test_import_dir_needs_files(session: Session, reference: Reference, tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(ImportValidationError, match=r"files named like enterprises\.csv"):
        import_dir(session, directory=tmp_path, reference=reference)


def test_export_round_trips(session: Session, reference: Reference, tmp_path: Path) -> None:
    import_dir(session, directory=SAMPLES, reference=reference)
    for kind in KINDS:
        for fmt, encoding, headers in (("csv", "gbk", "en"), ("xlsx", "utf-8-sig", "zh")):
            out = tmp_path / f"{kind}-{headers}.{fmt}"
            n = export_frame(
                session, kind=kind, fmt=fmt, out=out, encoding=encoding, headers=headers
            )  # type: ignore[arg-type]
            assert n == SAMPLE_ROWS[kind]
            report = import_file(session, kind=kind, path=out, reference=reference)
            assert (report.inserted, report.updated, report.unchanged) == (0, 0, n), out
    head = (tmp_path / "enterprises-en.csv").read_bytes().decode("gbk").splitlines()[0]
    assert head.startswith("uscc,name,city_code,industry_code,products")


def test_export_gbk_names_the_unencodable_cell(session: Session, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "uscc": ["91340300MA2N8K5Q0C"],
            "name": ["𠮷野家（蚌埠）有限公司"],  # 𠮷 is outside GBK
            "city_code": ["340300"],
            "industry_code": ["3973"],
            "products": ["x"],
        }
    )
    repo.upsert_frame(session, kind="enterprises", frame=frame)
    session.commit()
    with pytest.raises(ValidationError, match=r"row 2, column name holds '𠮷野家"):
        export_frame(session, kind="enterprises", fmt="csv", out=tmp_path / "e.csv", encoding="gbk")
    assert not (tmp_path / "e.csv").exists()


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    migrate.upgrade(sqlite_url)
    monkeypatch.setenv("CHAINMATCH_DATABASE_URL", sqlite_url)
    return CliRunner()


def test_cli_import_export(cli: CliRunner, tmp_path: Path) -> None:
    from recommender.cli import app

    result = cli.invoke(app, ["import-dir", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    assert "outcomes: 7 rows" in result.output
    out = tmp_path / "parks.xlsx"
    result = cli.invoke(app, ["export", "parks", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "parks: wrote 3 rows" in result.output
    result = cli.invoke(app, ["import", "parks", str(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would insert 0, 3 already stored" in result.output


def test_cli_import_prints_every_error(cli: CliRunner) -> None:
    from recommender.cli import app

    bad = Path(__file__).resolve().parents[2] / "data" / "bad" / "mixed_good_bad.csv"
    result = cli.invoke(app, ["import", "enterprises", str(bad)])
    assert result.exit_code == 1
    assert "line 3, column city: expected a known city" in result.output
    assert "line 5, column employees: expected a whole number >= 0, got '十二'" in result.output
    result = cli.invoke(app, ["import", "firms", str(bad)])
    assert result.exit_code == 2
    assert "KIND must be one of" in result.output


def test_preferences_import_against_stored_participants(
    session: Session, reference: Reference, tmp_path: Path
) -> None:
    import_dir(session, directory=SAMPLES, reference=reference)
    stored = repo.load_frame(session, kind="participants").set_index("uscc")
    assert stored.loc["91330200144072619E", "must_meet"] == "91340300MA2N8K5Q0C"
    assert stored.loc["9132050013482051XF", "no_meet"] == "91310112MA1G6R3W27"
    # a file naming counterparts registered by an earlier import: one fine, one at the
    # other event, one of the same role
    path = tmp_path / "participants.csv"
    path.write_text(
        "活动编号,统一社会信用代码,角色,必见,不对接\n"
        "E-2024-BB01,91310112MA1G6R3W27,配套,9132050013482051XF,\n"
        "E-2024-FY01,91341200MA2W4H8L65,配套,91330200144072619E,\n"
        "E-2024-FY01,91320100MA1MB0D85B,龙头,,91320100MA1MB0D85B\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as caught:
        import_file(session, kind="participants", path=path, reference=reference)
    errors = [(e.line, e.column, e.got) for e in caught.value.errors]
    assert errors == [
        (3, "must_meet", "91330200144072619E"),
        (4, "no_meet", "91320100MA1MB0D85B"),
    ]
    assert "leading participants of event E-2024-FY01" in caught.value.errors[0].expected
    path.write_text(
        "event_id,uscc,role,must_meet\nE-2024-BB01,91310112MA1G6R3W27,supporting,"
        "9132050013482051XF\n",
        encoding="utf-8",
    )
    report = import_file(session, kind="participants", path=path, reference=reference)
    assert (report.inserted, report.updated) == (0, 1)
    row = repo.get_by_key(session, kind="participants", key="E-2024-BB01|91310112MA1G6R3W27")
    assert (row["must_meet"], row["no_meet"]) == ("9132050013482051XF", "")
