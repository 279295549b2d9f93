"""Two imports at once: one runs, the other is refused with a clear message; never a mix."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from recommender.db import locks
from recommender.db.engine import make_engine
from recommender.errors import ConflictError

if TYPE_CHECKING:
    from tests.conftest import SmallWorld

REFUSED = "另一个导入正在进行"


def test_the_import_lock_refuses_a_second_holder_and_frees_on_exit(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with locks.exclusive(engine, what="import-dir A"):
            with (
                pytest.raises(ConflictError, match=REFUSED) as info,
                locks.exclusive(engine, what="import-dir B"),
            ):
                pass  # pragma: no cover - never entered
            if engine.url.get_backend_name() == "sqlite":
                assert "import-dir A (pid" in str(info.value)  # who holds it
        with locks.exclusive(engine):  # released
            pass
        with pytest.raises(RuntimeError), locks.exclusive(engine):
            raise RuntimeError("an import that fails")
        with locks.exclusive(engine):  # released after a failure too
            pass
    finally:
        engine.dispose()


def test_threads_are_serialised_by_the_lock(db_url: str) -> None:
    engine = make_engine(db_url)
    inside = threading.Event()
    release = threading.Event()
    results: list[str] = []

    def holder() -> None:
        with locks.exclusive(engine, what="first"):
            inside.set()
            release.wait(10)
        results.append("first done")

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert inside.wait(10)
        with (
            pytest.raises(ConflictError, match=REFUSED),
            locks.exclusive(engine, what="second"),
        ):
            results.append("second ran")  # pragma: no cover
    finally:
        release.set()
        t.join(10)
        engine.dispose()
    assert results == ["first done"]


def _names(db: Path) -> pd.Series:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return pd.read_sql(text("SELECT uscc, name FROM enterprises"), conn).set_index("uscc")[
                "name"
            ]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_import_commands_of_overlapping_files_never_interleave(
    procs: Any, small_world: SmallWorld, tmp_path: Path
) -> None:
    files = procs.world_files(small_world.db_file)
    # B: the same firms (and everything else), every firm renamed
    other = tmp_path / "b"
    other.mkdir()
    for f in files.glob("*.csv"):
        (other / f.name).write_bytes(f.read_bytes())
    firms = pd.read_csv(other / "enterprises.csv", dtype=str, keep_default_na=False)
    firms["name"] = firms["name"] + "(B)"
    firms.to_csv(other / "enterprises.csv", index=False)
    home = tmp_path / "home"
    home.mkdir()
    env = procs.env_for(home)
    assert procs.run(["db", "upgrade"], env).returncode == 0
    started = [
        subprocess.Popen(
            [procs.CHAINMATCH, "import-dir", str(d)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in (files, other)
    ]
    outs = [p.communicate(timeout=300) for p in started]
    codes = [p.returncode for p in started]
    print(f"\nconcurrent import-dir A and B: exit codes {codes}")
    for (_, err), code in zip(outs, codes, strict=True):
        if code != 0:
            assert REFUSED in err, err  # refused, and told why
            assert "Traceback" not in err
            assert len(err.strip().splitlines()) == 1, err
    assert 0 in codes
    names = _names(home / "chainmatch.db")
    assert len(names) == len(firms)
    from_b = names.str.endswith("(B)")
    assert from_b.all() or not from_b.any(), "rows of both files were mixed"
    if codes == [0, 2]:
        assert not from_b.any()
    elif codes == [2, 0]:
        assert from_b.all()
    # the lock is free again: a third import runs
    third = procs.run(["import-dir", str(other)], env)
    assert third.returncode == 0, third.stderr
    assert _names(home / "chainmatch.db").str.endswith("(B)").all()
