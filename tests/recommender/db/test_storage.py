"""Storage on SQLite and PostgreSQL: migrations, frame round trips, upserts, constraints,
API keys, pagination, meetings, model versions, retrain jobs and the recommendation log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from features.schema import ENTERPRISE, EVENT, NEED, OUTCOME, PARK, PARTICIPANT, conform
from recommender.db import migrate, repo
from recommender.db.engine import make_engine, make_session_factory, session_scope
from recommender.db.models import ApiKey, Base, Outcome
from recommender.errors import NotFoundError, ValidationError

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(city: str, serial: int) -> str:
    """A USCC with a correct GB 32100-2015 check digit."""
    body = f"91{city}MA{serial:07d}"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def enterprises(n: int = 4) -> pd.DataFrame:
    cities = ["340300", "310112", "341200", "330200"]
    raw = pd.DataFrame(
        {
            "uscc": [uscc(cities[i % 4], i) for i in range(n)],
            "name": [f"蚌埠第{i}传感器有限公司" for i in range(n)],
            "city_code": [cities[i % 4] for i in range(n)],
            "industry_code": ["3973", "3972", "2651", "3563"][:n] + ["3973"] * max(0, n - 4),
            "products": ["MEMS芯片;压力传感器", "晶圆封装", "聚酰亚胺薄膜", "数控机床"][:n]
            + ["传感器"] * max(0, n - 4),
            "employees": pd.array([120, None, 3000, None][:n] + [5] * max(0, n - 4), "Int64"),
            "revenue_wan": [1.5e4, np.nan, 2.25e5, 0.0][:n] + [1.0] * max(0, n - 4),
            "founded": pd.array([2001, 2015, None, 1998][:n] + [2020] * max(0, n - 4), "Int64"),
            "is_leading": [True, False, True, False][:n] + [False] * max(0, n - 4),
            "srdi_level": ["national", "none", "province", "none"][:n] + ["none"] * max(0, n - 4),
            "district": ["固镇县", "", "", "鄞州区"][:n] + [""] * max(0, n - 4),
        }
    )
    return conform(raw, ENTERPRISE)


# ----------------------------------------------------------------------------- migrations
def test_upgrade_from_empty_equals_metadata(db_url: str) -> None:
    assert migrate.current(db_url) is None
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head() == "0006"
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == "0006"


def test_0002_adds_empty_preferences_to_stored_participants_and_downgrades(db_url: str) -> None:
    from alembic import command

    migrate.upgrade(db_url, "0001")
    engine = make_engine(db_url)
    firm = uscc("340300", 1)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO enterprises (uscc, name, city_code, industry_code, products, "
                    "district, inputs, chain_nodes, is_leading, srdi_level, is_high_tech, listed) "
                    "VALUES (:u, 'a', '340300', '3973', 'x', '', '', '', false, 'none', false, "
                    "false)"
                ),
                {"u": firm},
            )
            conn.execute(
                text(
                    "INSERT INTO events (event_id, name, date, city_code, venue, theme_chains) "
                    "VALUES ('E1', 'e', '2024-05-20', '340300', '', '')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO event_participants (event_id, uscc, role, available_slots) "
                    "VALUES ('E1', :u, 'leading', '')"
                ),
                {"u": firm},
            )
        migrate.upgrade(db_url)
        with engine.connect() as conn:
            got = conn.execute(text("SELECT must_meet, no_meet FROM event_participants")).all()
        assert [tuple(r) for r in got] == [("", "")]
        with engine.connect() as conn:
            cfg = migrate.alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
            conn.commit()
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("event_participants")}
        assert migrate.current(db_url) == "0001"
        assert not {"must_meet", "no_meet"} & columns
    finally:
        engine.dispose()


def test_entity_tables_have_exactly_the_schema_columns() -> None:
    for kind, schema in repo.SCHEMAS.items():
        table = Base.metadata.tables[{"participants": "event_participants"}.get(kind, kind)]
        names = [c.name for c in table.columns if c.name != "id"]
        assert names == schema.names, kind


def test_cli_db_upgrade_and_current(sqlite_url: str) -> None:
    from recommender.cli import app

    runner = CliRunner()
    before = runner.invoke(app, ["db", "current", "--url", sqlite_url])
    assert before.exit_code == 0, before.output
    assert "(empty database)" in before.output
    up = runner.invoke(app, ["db", "upgrade", "--url", sqlite_url])
    assert up.exit_code == 0, up.output
    after = runner.invoke(app, ["db", "current", "--url", sqlite_url])
    assert "current: 0006" in after.output
    assert "up to date" in after.output


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        engine.dispose()


def test_session_scope_rolls_back_on_error(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    factory = make_session_factory(make_engine(sqlite_url))

    def fail_midway() -> None:
        with session_scope(factory) as s:
            repo.upsert_frame(s, kind="enterprises", frame=enterprises(2))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    with session_scope(factory) as s:
        assert repo.existing_keys(s, kind="enterprises") == set()
        repo.upsert_frame(s, kind="enterprises", frame=enterprises(2))
    with session_scope(factory) as s:
        assert len(repo.existing_keys(s, kind="enterprises")) == 2


# ----------------------------------------------------------------------------- frames
def test_enterprises_round_trip_equal(session: Session) -> None:
    frame = enterprises(4)
    counts = repo.upsert_frame(session, kind="enterprises", frame=frame)
    assert counts == repo.UpsertCounts(4, 0, 0)
    session.commit()
    loaded = repo.load_frame(session, kind="enterprises")
    expected = frame.sort_values("uscc").reset_index(drop=True)
    pd.testing.assert_frame_equal(loaded, expected)
    assert loaded.loc[loaded.uscc == frame.uscc[1], "employees"].isna().all()
    assert loaded.loc[loaded.uscc == frame.uscc[0], "name"].item() == "蚌埠第0传感器有限公司"


def test_dates_and_composite_keys_round_trip(session: Session) -> None:
    firms = enterprises(2)
    repo.upsert_frame(session, kind="enterprises", frame=firms)
    needs = conform(
        pd.DataFrame(
            {
                "need_id": ["N1", "N2"],
                "owner_kind": ["enterprise", "park"],
                "owner_id": [firms.uscc[0], "S347022"],
                "description": ["寻找MEMS芯片供应商", "引进传感器封装企业"],
                "created": [pd.Timestamp("2024-03-01"), pd.NaT],
            }
        ),
        NEED,
    )
    events = conform(
        pd.DataFrame(
            {
                "event_id": ["E1"],
                "name": ["甬蚌对接会"],
                "date": [pd.Timestamp("2024-05-20")],
                "city_code": ["340300"],
                "n_slots": [6],
            }
        ),
        EVENT,
    )
    parts = conform(
        pd.DataFrame(
            {
                "event_id": ["E1", "E1"],
                "uscc": list(firms.uscc),
                "role": ["leading", "supporting"],
                "must_meet": [firms.uscc[1], ""],
                "no_meet": ["", firms.uscc[0]],
            }
        ),
        PARTICIPANT,
    )
    for kind, frame in (("needs", needs), ("events", events), ("participants", parts)):
        assert repo.upsert_frame(session, kind=kind, frame=frame).inserted == len(frame)
        pd.testing.assert_frame_equal(
            repo.load_frame(session, kind=kind),
            frame.sort_values(list(repo.SCHEMAS[kind].key)).reset_index(drop=True),
        )
    assert repo.existing_keys(session, kind="participants") == {f"E1|{u}" for u in firms.uscc}
    assert repo.get_by_key(session, kind="events", key="E1")["date"] == dt.date(2024, 5, 20)
    row = repo.get_by_key(session, kind="participants", key=f"E1|{firms.uscc[1]}")
    assert row["role"] == "supporting"
    assert row["min_meetings"] is None
    assert (row["must_meet"], row["no_meet"]) == ("", firms.uscc[0])


def test_second_upsert_changes_nothing(session: Session) -> None:
    frame = enterprises(4)
    repo.upsert_frame(session, kind="enterprises", frame=frame)
    again = repo.upsert_frame(session, kind="enterprises", frame=frame)
    assert again == repo.UpsertCounts(inserted=0, updated=0, unchanged=4)


def test_changed_rows_are_updated_and_new_rows_inserted(session: Session) -> None:
    frame = enterprises(4)
    repo.upsert_frame(session, kind="enterprises", frame=frame)
    changed = enterprises(6)
    changed.loc[1, "employees"] = 88
    changed.loc[2, "name"] = "淮南新能源科技有限公司"
    counts = repo.upsert_frame(session, kind="enterprises", frame=changed)
    assert counts == repo.UpsertCounts(inserted=2, updated=2, unchanged=2)
    loaded = repo.load_frame(
        session, kind="enterprises", where={"uscc": [frame.uscc[1], frame.uscc[2]]}
    )
    assert loaded.set_index("uscc").loc[frame.uscc[1], "employees"] == 88
    assert loaded.set_index("uscc").loc[frame.uscc[2], "name"] == "淮南新能源科技有限公司"


def test_load_frame_filters(session: Session) -> None:
    repo.upsert_frame(session, kind="enterprises", frame=enterprises(8))
    leading = repo.load_frame(session, kind="enterprises", where={"is_leading": True})
    assert list(leading.city_code) == ["340300", "341200"]
    bengbu = repo.load_frame(session, kind="enterprises", where={"city_code": "340300"})
    assert len(bengbu) == 2
    empty = repo.load_frame(session, kind="enterprises", where={"city_code": "999999"})
    assert empty.empty
    assert list(empty.columns) == ENTERPRISE.names
    with pytest.raises(ValidationError, match="no column 'town'"):
        repo.load_frame(session, kind="enterprises", where={"town": "x"})


def test_upsert_rejects_duplicate_and_empty_keys_and_unknown_kind(session: Session) -> None:
    frame = enterprises(3)
    dup = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValidationError, match="unique within the frame"):
        repo.upsert_frame(session, kind="enterprises", frame=dup)
    blank = frame.copy()
    blank.loc[0, "uscc"] = ""
    with pytest.raises(ValidationError, match="must be non-empty"):
        repo.upsert_frame(session, kind="enterprises", frame=blank)
    with pytest.raises(ValidationError, match="kind must be one of"):
        repo.upsert_frame(session, kind="firms", frame=frame)
    assert repo.existing_keys(session, kind="enterprises") == set()


def test_outcomes_are_insert_if_absent(session: Session) -> None:
    firms = enterprises(2)
    out = conform(
        pd.DataFrame(
            {
                "query_kind": ["supplier", "supplier"],
                "query_id": [firms.uscc[0]] * 2,
                "candidate_id": [firms.uscc[1]] * 2,
                "stage": ["meeting", "signed"],
                "date": pd.to_datetime(["2024-05-20", "2024-08-01"]),
                "amount_wan": [np.nan, 500.0],
            }
        ),
        OUTCOME,
    )
    assert repo.upsert_frame(session, kind="outcomes", frame=out) == repo.UpsertCounts(2, 0, 0)
    again = out.copy()
    again.loc[1, "amount_wan"] = 999.0
    assert repo.upsert_frame(session, kind="outcomes", frame=again) == repo.UpsertCounts(0, 0, 2)
    stored = repo.load_frame(session, kind="outcomes", where={"stage": "signed"})
    assert stored.amount_wan.tolist() == [500.0]
    keys = repo.existing_keys(session, kind="outcomes")
    assert f"supplier|{firms.uscc[0]}|{firms.uscc[1]}|signed|2024-08-01" in keys
    session.commit()
    row = {c: out.iloc[0][c] for c in ("query_kind", "query_id", "candidate_id", "stage")}
    with pytest.raises(IntegrityError):
        session.execute(insert(Outcome), [{**row, "date": dt.date(2024, 5, 20), "event_id": ""}])
    session.rollback()


def test_foreign_key_and_unique_violations_raise(session: Session) -> None:
    repo.upsert_frame(
        session,
        kind="events",
        frame=conform(
            pd.DataFrame(
                {
                    "event_id": ["E1"],
                    "name": ["对接会"],
                    "date": ["2024-05-20"],
                    "city_code": ["340300"],
                }
            ).assign(date=lambda f: pd.to_datetime(f.date)),
            EVENT,
        ),
    )
    session.commit()
    stranger = conform(
        pd.DataFrame({"event_id": ["E1"], "uscc": [uscc("340300", 999)], "role": ["leading"]}),
        PARTICIPANT,
    )
    with pytest.raises(IntegrityError):
        repo.upsert_frame(session, kind="participants", frame=stranger)
    session.rollback()
    _key, _ = repo.create_api_key(session, role="admin")
    session.commit()
    session.add(ApiKey(key_hash=_key.key_hash, prefix="cm_x", role="admin"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


# ----------------------------------------------------------------------------- lists
def test_list_page_totals_search_and_city(session: Session) -> None:
    repo.upsert_frame(session, kind="enterprises", frame=enterprises(12))
    page, total = repo.list_page(session, kind="enterprises", offset=0, limit=5)
    assert (len(page), total) == (5, 12)
    last, total = repo.list_page(session, kind="enterprises", offset=10, limit=5)
    assert (len(last), total) == (2, 12)
    assert list(page.uscc) == sorted(page.uscc)
    hits, total = repo.list_page(session, kind="enterprises", search="数控")
    assert total == 1
    assert hits.products.tolist() == ["数控机床"]
    bengbu, total = repo.list_page(session, kind="enterprises", city_code="340300", limit=2)
    assert total == 3
    assert set(bengbu.city_code) == {"340300"}
    none, total = repo.list_page(session, kind="enterprises", search="100%_x")
    assert (len(none), total) == (0, 0)
    with pytest.raises(ValidationError, match="limit must be"):
        repo.list_page(session, kind="enterprises", limit=0)


def test_get_by_key_missing_raises_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        repo.get_by_key(session, kind="parks", key="S000000")


# ----------------------------------------------------------------------------- API keys
def test_api_keys_store_only_a_hash(session: Session) -> None:
    key, plaintext = repo.create_api_key(
        session, role="city", city_code="340300", label="蚌埠招商局"
    )
    session.commit()
    assert plaintext.startswith("cm_")
    assert len(plaintext) == 3 + 32
    stored = session.execute(select(ApiKey.key_hash, ApiKey.prefix)).all()
    assert plaintext not in {v for row in stored for v in row}
    assert key.prefix == plaintext[:10]
    found = repo.find_api_key(session, plaintext=plaintext)
    assert found is not None
    assert (found.id, found.role, found.city_code) == (key.id, "city", "340300")
    assert repo.find_api_key(session, plaintext=plaintext + "x") is None
    assert repo.find_api_key(session, plaintext="nonsense") is None
    other, _ = repo.create_api_key(session, role="admin")
    repo.revoke_api_key(session, key_id=key.id)
    session.commit()
    assert repo.find_api_key(session, plaintext=plaintext) is None
    assert [k.id for k in repo.list_api_keys(session)] == [other.id]
    assert len(repo.list_api_keys(session, include_revoked=True)) == 2
    with pytest.raises(NotFoundError):
        repo.revoke_api_key(session, key_id=10_000)


# ----------------------------------------------------------------------------- operations
def test_model_versions_one_production_per_kind(session: Session) -> None:
    repo.upsert_model_version(session, version="v1", kind="supplier", metrics={"ndcg@10": 0.61})
    repo.upsert_model_version(session, version="v2", kind="supplier", status="production")
    repo.upsert_model_version(session, version="w1", kind="investor", status="production")
    repo.promote_model_version(session, version="v1")
    session.commit()
    status = {m.version: m.status for m in repo.list_model_versions(session)}
    assert status == {"v1": "production", "v2": "retired", "w1": "production"}
    v1 = repo.list_model_versions(session, kind="supplier", status="production")
    assert [m.version for m in v1] == ["v1"]
    assert v1[0].metrics == {"ndcg@10": 0.61}


def test_retrain_job_lifecycle(session: Session) -> None:
    job = repo.create_retrain_job(session)
    assert job.status == "queued"
    repo.update_retrain_job(session, job_id=job.id, status="running")
    done = repo.update_retrain_job(session, job_id=job.id, status="succeeded", version="v3")
    session.commit()
    got = repo.get_retrain_job(session, job_id=job.id)
    assert (got.status, got.version) == ("succeeded", "v3")
    assert got.started_at is not None
    assert done.finished_at is not None
    assert got.finished_at >= got.started_at
    with pytest.raises(ValidationError, match="status must be one of"):
        repo.update_retrain_job(session, job_id=job.id, status="exploded")
    with pytest.raises(NotFoundError):
        repo.get_retrain_job(session, job_id=job.id + 100)


def test_log_recommendations(session: Session) -> None:
    key, _ = repo.create_api_key(session, role="admin")
    rows = [
        {
            "query_kind": "supplier",
            "query_id": "Q",
            "candidate_id": f"C{i}",
            "rank": i,
            "score": 1.0 / (i + 1),
        }
        for i in range(3)
    ]
    assert repo.log_recommendations(session, rows=rows) == 3
    frame = pd.DataFrame(rows).assign(api_key_id=key.id, model_version="v1")
    assert repo.log_recommendations(session, rows=frame) == 3
    session.commit()
    got = session.execute(
        text("SELECT candidate_id, api_key_id, model_version FROM recommendation_log ORDER BY id")
    ).all()
    assert [tuple(r) for r in got] == [
        ("C0", None, ""),
        ("C1", None, ""),
        ("C2", None, ""),
        ("C0", key.id, "v1"),
        ("C1", key.id, "v1"),
        ("C2", key.id, "v1"),
    ]


def test_meetings_saved_per_plan_version(session: Session) -> None:
    firms = enterprises(4)
    repo.upsert_frame(session, kind="enterprises", frame=firms)
    event = conform(
        pd.DataFrame(
            {
                "event_id": ["E1"],
                "name": ["会"],
                "date": [pd.Timestamp("2024-05-20")],
                "city_code": ["340300"],
            }
        ),
        EVENT,
    )
    repo.upsert_frame(session, kind="events", frame=event)
    plan = pd.DataFrame(
        {
            "slot": [0, 0, 1],
            "table_no": [1, 2, 1],
            "leading_uscc": [firms.uscc[0], firms.uscc[2], firms.uscc[0]],
            "supporting_uscc": [firms.uscc[1], firms.uscc[3], firms.uscc[3]],
            "value": [0.9, 0.7, 0.5],
        }
    )
    assert repo.save_meetings(session, event_id="E1", meetings_frame=plan, plan_version=1) == 3
    assert (
        repo.save_meetings(session, event_id="E1", meetings_frame=plan.iloc[:1], plan_version=2)
        == 1
    )
    latest = repo.load_meetings(session, event_id="E1")
    assert latest.plan_version.tolist() == [2]
    first = repo.load_meetings(session, event_id="E1", plan_version=1)
    assert first[["slot", "table_no", "value", "status"]].values.tolist() == [
        [0, 1, 0.9, "planned"],
        [0, 2, 0.7, "planned"],
        [1, 1, 0.5, "planned"],
    ]
    assert repo.load_meetings(session, event_id="E9").empty
    with pytest.raises(NotFoundError):
        repo.save_meetings(session, event_id="E9", meetings_frame=plan, plan_version=1)
    session.commit()
    clash = plan.assign(slot=0)  # firm 0 twice in slot 0
    with pytest.raises(IntegrityError):
        repo.save_meetings(session, event_id="E1", meetings_frame=clash, plan_version=3)
    session.rollback()


# ----------------------------------------------------------------------------- reference
@dataclass(frozen=True)
class _Ref:
    cities: pd.DataFrame
    industries: pd.DataFrame
    io_sectors: pd.DataFrame
    chains: pd.DataFrame
    chain_nodes: pd.DataFrame
    chain_edges: pd.DataFrame
    parks: pd.DataFrame


def _reference() -> _Ref:
    return _Ref(
        cities=pd.DataFrame(
            {
                "city_code": ["340300", "330200"],
                "name": ["蚌埠市", "宁波市"],
                "short_name": ["蚌埠", "宁波"],
                "name_en": ["Bengbu", "Ningbo"],
                "province": ["安徽省", "浙江省"],
                "level": ["prefecture", "prefecture"],
                "lon": [117.39, 121.55],
                "lat": [32.92, np.nan],
                "role": ["wanbei", "helping"],
                "partner_code": ["330200", "340300"],
            }
        ),
        industries=pd.DataFrame(
            {
                "code": ["C", "39", "397", "3973"],
                "level": [1, 2, 3, 4],
                "section": ["C"] * 4,
                "division": ["", "39", "39", "39"],
                "name": [
                    "制造业",
                    "计算机、通信和其他电子设备制造业",
                    "电子器件制造",
                    "集成电路制造",
                ],
                "remark": ["", "", "", ""],
            }
        ),
        io_sectors=pd.DataFrame(
            {
                "io_code": ["19"],
                "name": ["通信设备、计算机和其他电子设备"],
                "name_en": ["Electronics"],
            }
        ),
        chains=pd.DataFrame(
            {"chain_id": ["sensor"], "name": ["智能传感器"], "name_en": ["Smart sensors"]}
        ),
        chain_nodes=pd.DataFrame(
            {
                "node_id": ["sensor.mems_chip", "sensor.module"],
                "chain_id": ["sensor", "sensor"],
                "name": ["MEMS芯片", "传感器模组"],
                "name_en": ["MEMS chips", "Sensor modules"],
                "tier": [0, 2],
                "gbt_classes": ["3973", "3983"],
                "keywords": ["MEMS;芯片", "模组;传感器"],
            }
        ),
        chain_edges=pd.DataFrame(
            {"src": ["sensor.mems_chip"], "dst": ["sensor.module"], "chain_id": ["sensor"]}
        ),
        parks=pd.DataFrame(
            {
                "park_id": ["S347022"],
                "name": ["固镇经济开发区"],
                "city_code": ["340300"],
                "leading_industries": ["智能传感器;新材料"],
                "partner_city_code": ["330200"],
                "kind": ["co_built"],
                "gbt_divisions": ["39"],
            }
        ),
    )


def test_seed_reference_is_idempotent(session: Session) -> None:
    ref = _reference()
    first = repo.seed_reference(session, reference=ref)
    assert first["industries"] == repo.UpsertCounts(4, 0, 0)
    assert first["parks"] == repo.UpsertCounts(1, 0, 0)
    second = repo.seed_reference(session, reference=ref)
    assert all(c.inserted == 0 and c.updated == 0 for c in second.values())
    assert sum(c.unchanged for c in second.values()) == 2 + 4 + 1 + 1 + 2 + 1 + 1
    session.commit()
    park = repo.get_by_key(session, kind="parks", key="S347022")
    assert park["partner_city_code"] == "330200"
    lat = session.execute(text("SELECT lat FROM cities WHERE city_code = '330200'")).scalar_one()
    assert lat is None
    loaded = repo.load_frame(session, kind="parks")
    pd.testing.assert_frame_equal(loaded, conform(ref.parks, PARK))


def test_load_frame_in_many_chunks_equals_one_read(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = enterprises(7)
    repo.upsert_frame(session, kind="enterprises", frame=frame)
    whole = repo.load_frame(session, kind="enterprises")
    monkeypatch.setattr(repo, "LOAD_CHUNK_ROWS", 2)
    chunked = repo.load_frame(session, kind="enterprises")
    assert len(chunked) == 7
    pd.testing.assert_frame_equal(chunked, whole)
