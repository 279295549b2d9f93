"""Recording one step (联系/会谈/意向/签约/不合适) for a firm of a list, from any row.

The row goes through :func:`recommender.records.record_outcomes` (validated like
outcomes.csv, city-scoped, all or nothing). Before that the page refuses, in Chinese, what an
officer could not mean: a date in the future, an amount that is not a number, and 签约 and
不合适 for the same firm on the same day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.pages.listing import RECORDABLE
from api.pages.messages import domain_zh
from recommender import records
from recommender.db import models
from recommender.errors import ChainmatchError, ImportValidationError
from recommender.security import Principal

OPPOSITE = {"signed": "declined", "declined": "signed"}


@dataclass
class StepResult:
    """What became of a recording: done, or a Chinese message (and row errors)."""

    ok: bool
    message: str = ""
    row_errors: list[dict[str, Any]] | None = None
    status: int = 200


def _parse_amount(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    value = float(cleaned)
    if value < 0 or not math.isfinite(value):
        raise ValueError(cleaned)
    return value


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
    today = today or dt.date.today()
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
        amount_wan = _parse_amount(amount) if stage == "signed" else None
    except ValueError:
        return StepResult(
            False, f"签约金额应为不小于 0 的数字（万元），填写的是 “{amount}”。", status=422
        )
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
    try:
        records.record_outcomes(session, rows=[row], principal=principal, reference=reference)
    except ImportValidationError as exc:
        session.rollback()
        return StepResult(False, domain_zh(exc), [vars(e) for e in exc.errors], 422)
    except ChainmatchError as exc:
        session.rollback()
        return StepResult(False, domain_zh(exc), status=403)
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
