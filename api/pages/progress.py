"""Recording one step (联系/会谈/意向/签约/不合适) for a firm of a list, from any row.

The row goes through :func:`recommender.records.service.record_outcomes` (validated like
outcomes.csv, city-scoped, all or nothing). Before that the page refuses, in Chinese, what an
officer could not mean: a date in the future, an amount that is not a number, and 签约 and
不合适 for the same firm on the same day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.pages.forms import Failure, attempt
from api.pages.listing import RECORDABLE
from api.pages.render import query_string
from recommender.db import models
from recommender.errors import ChainmatchError, ImportValidationError
from recommender.records import service as records
from recommender.security import Principal

OPPOSITE = {"signed": "declined", "declined": "signed"}


@dataclass
class StepResult:
    """What became of a recording: done, or a Chinese message (and row errors)."""

    ok: bool
    message: str = ""
    row_errors: list[dict[str, Any]] | None = None
    status: int = 200


def after_step(
    outcome: StepResult,
    *,
    page: Callable[[StepResult], Response],
    path: str,
    params: Mapping[str, object],
    candidate: str,
    stage: str,
) -> Response:
    """What a list page answers to a recording: the page again with the step's error
    (``page(outcome)``), or back to the list (``path?params``) at the recorded row."""
    if not outcome.ok:
        return page(outcome)
    target = query_string({**params, "done": f"{candidate}:{stage}"})
    return RedirectResponse(f"{path}?{target}#row-{candidate}", status_code=303)


def _parse_amount(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    value = float(cleaned)
    if value < 0 or not math.isfinite(value):
        raise ValueError(cleaned)
    return value


def _check_step(
    stage: str, date: str, amount: str, today: dt.date
) -> tuple[dt.date, float | None] | StepResult:
    """The step's day and signed amount (万元), or why the form cannot be recorded."""
    if stage not in RECORDABLE:
        return StepResult(False, "请选择要记录的进展：联系、会谈、意向、签约或不合适。", status=422)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return StepResult(False, f"日期应为 2026-05-20 这样的格式，填写的是 “{date}”。", status=422)
    if day > today:
        return StepResult(
            False, f"日期 {day} 还没到：只能记录已经发生的进展（今天是 {today}）。", status=422
        )
    try:
        return day, (_parse_amount(amount) if stage == "signed" else None)
    except ValueError:
        return StepResult(
            False, f"签约金额应为不小于 0 的数字（万元），填写的是 “{amount}”。", status=422
        )


def record_step(
    session: Session,
    *,
    principal: Principal,
    reference: Any,
    kind: str,
    query_id: str,
    candidate: str,
    stage: str,
    date: str,
    amount: str = "",
    today: dt.date | None = None,
) -> StepResult:
    """Check and record one funnel step for (query, candidate); never raises a domain error."""
    checked = _check_step(stage, date, amount, today or dt.date.today())
    if isinstance(checked, StepResult):
        return checked
    day, amount_wan = checked
    clash = _same_day_opposite(
        session, kind=kind, query_id=query_id, candidate=candidate, stage=stage, day=day
    )
    if clash:
        return StepResult(False, clash, status=409)
    row = {
        "query_kind": kind,
        "query_id": query_id,
        "candidate_id": candidate,
        "stage": stage,
        "date": day.isoformat(),
        "event_id": "",
        "amount_wan": amount_wan,
    }
    failed = attempt(
        session,
        lambda: records.record_outcomes(
            session, rows=[row], principal=principal, reference=reference
        ),
    )
    if isinstance(failed, Failure):
        status = 422 if isinstance(failed.error, ImportValidationError) else 403
        return StepResult(False, failed.message, failed.row_errors, status)
    return StepResult(True)


def _same_day_opposite(
    session: Session, *, kind: str, query_id: str, candidate: str, stage: str, day: dt.date
) -> str:
    """A message if 签约 meets 不合适 for the same pair on the same day ("" otherwise)."""
    other = OPPOSITE.get(stage)
    if other is None:
        return ""
    t = models.Outcome
    found = session.scalar(
        select(t.id).where(
            t.query_kind == kind,
            t.query_id == query_id,
            t.candidate_id == candidate,
            t.stage == other,
            t.date == day,
        )
    )
    if found is None:
        return ""
    said = {"signed": "签约", "declined": "不合适"}
    return (
        f"{day} 已经记录了“{said[other]}”，同一天不能再记录“{said[stage]}”。"
        "如果之前记错了，请联系分析员更正。"
    )


def check_outcome_file(
    session: Session, path: Path, *, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Row problems the importer does not see, in an outcomes file: dates after today, and
    签约 and 不合适 for the same pair on the same day (within the file or against what is
    stored). Each as ``{line, column, expected, got}``; [] when there is none (or the file
    cannot be read, which the importer then reports)."""
    import pandas as pd

    from recommender.ingest import read_table
    from recommender.ingest.aliases import ENUMS

    today = today or dt.date.today()
    try:
        table = read_table(path, kind="outcomes")
    except ChainmatchError:
        return []
    frame = table.frame
    needed = {"query_kind", "query_id", "candidate_id", "stage", "date"}
    if not needed <= set(frame.columns):
        return []
    stages = ENUMS["stage"]
    stage = [
        stages.get(str(v).strip().lower(), stages.get(str(v).strip(), "")) for v in frame["stage"]
    ]
    parsed = pd.to_datetime(frame["date"], errors="coerce")
    days: list[dt.date | None] = [None if pd.isna(d) else d.date() for d in parsed]
    problems: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str, dt.date], tuple[str, int]] = {}
    for i, day in enumerate(days):
        line = int(table.lines[i])
        if day is None:
            continue  # the importer reports a bad date
        if day > today:
            problems.append(
                {
                    "line": line,
                    "column": "date",
                    "expected": f"a date not after {today}",
                    "got": str(frame["date"].iat[i]),
                }
            )
        if stage[i] not in OPPOSITE:
            continue
        key = (
            str(frame["query_kind"].iat[i]),
            str(frame["query_id"].iat[i]),
            str(frame["candidate_id"].iat[i]),
            day,
        )
        prior = seen.get(key)
        clash_line = prior[1] if prior and prior[0] == OPPOSITE[stage[i]] else None
        stored = _same_day_opposite(
            session, kind=key[0], query_id=key[1], candidate=key[2], stage=stage[i], day=day
        )
        if clash_line is not None or stored:
            where = f"line {clash_line}" if clash_line is not None else "the database"
            problems.append(
                {
                    "line": line,
                    "column": "stage",
                    "expected": "not both signed and declined for one pair on one day",
                    "got": f"{frame['stage'].iat[i]} {day} (the other is on {where})",
                }
            )
        seen.setdefault(key, (stage[i], line))
    return sorted(problems, key=lambda p: int(p["line"]))
