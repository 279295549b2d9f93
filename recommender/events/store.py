"""Plan files: every stored plan version of an event as JSON, next to the database rows.

The database keeps the meetings of each plan version (``meetings`` table); a plan file keeps
everything else a re-plan and the exports need: the session spec, the settings, the
participants and candidate pairs with their values, the report and the cancellations. Files
live under ``<plans_dir>/<event_id>/<version>.json`` (``plans_dir`` is
``$CHAINMATCH_HOME/plans``); they are plain JSON (no pickles) and written atomically.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from recommender.errors import NotFoundError, ValidationError
from recommender.planner import (
    CityQuota,
    EventSpec,
    Plan,
    PlanReport,
    PlanSettings,
    QuotaStatus,
    UnmetMinimum,
)

__all__ = ["FORMAT", "PlanMeta", "PlanStore", "plan_from_dict", "plan_to_dict"]

FORMAT = "chainmatch.plan/1"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")


@dataclass(frozen=True)
class PlanMeta:
    """Who made a plan version, and how."""

    version: int
    model_version: str
    created_at: str
    greedy: bool = False


def _num(x: float) -> float | None:
    """JSON has no NaN: NaN goes out as null."""
    return None if math.isnan(x) else float(x)


def _unnum(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def _frame_out(frame: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(frame.to_json(orient="split", index=False, force_ascii=False))
    out["dtypes"] = {c: str(t) for c, t in frame.dtypes.items()}
    return out


def _frame_in(data: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(data["data"], columns=data["columns"])
    for col, dtype in data.get("dtypes", {}).items():
        if dtype in ("int64", "float64", "bool"):
            frame[col] = frame[col].astype(dtype)
    return frame


def plan_to_dict(plan: Plan, meta: PlanMeta) -> dict[str, Any]:
    """A JSON-ready dict holding the whole plan (inverse: :func:`plan_from_dict`)."""
    r = plan.report
    spec = asdict(plan.spec)
    spec["start"] = plan.spec.start.isoformat()
    return {
        "format": FORMAT,
        "meta": asdict(meta),
        "spec": spec,
        "settings": asdict(plan.settings),
        "participants": _frame_out(plan.participants),
        "pairs": _frame_out(plan.pairs),
        "meetings": _frame_out(plan.meetings),
        "cancelled": list(plan.cancelled),
        "report": {
            "event_id": r.event_id,
            "objective": _num(r.objective),
            "value": _num(r.value),
            "matching_objective": _num(r.matching_objective),
            "lp_bound": _num(r.lp_bound),
            "gap": _num(r.gap),
            "n_meetings": r.n_meetings,
            "n_dropped": r.n_dropped,
            "per_firm": _frame_out(r.per_firm),
            "unmet_minimums": [asdict(u) for u in r.unmet_minimums],
            "quotas": [asdict(q) for q in r.quotas],
            "must_unscheduled": _frame_out(r.must_unscheduled),
            "dropped": _frame_out(r.dropped),
            "solver": r.solver,
            "schedule_method": r.schedule_method,
            "timings": r.timings,
            "leaders_one_table": list(r.leaders_one_table),
            "notes": list(r.notes),
            "changes": None if r.changes is None else _frame_out(r.changes),
        },
    }


def plan_from_dict(data: dict[str, Any]) -> tuple[Plan, PlanMeta]:
    """Rebuild a plan and its metadata from :func:`plan_to_dict` output."""
    if data.get("format") != FORMAT:
        raise ValidationError(f"plan file format must be {FORMAT!r}, got {data.get('format')!r}")
    spec_d = dict(data["spec"])
    spec_d["start"] = datetime.fromisoformat(spec_d["start"])
    set_d = dict(data["settings"])
    set_d["quotas"] = tuple(CityQuota(**q) for q in set_d.get("quotas", []))
    r = data["report"]
    report = PlanReport(
        event_id=r["event_id"],
        objective=_unnum(r["objective"]),
        value=_unnum(r["value"]),
        matching_objective=_unnum(r["matching_objective"]),
        lp_bound=_unnum(r["lp_bound"]),
        gap=_unnum(r["gap"]),
        n_meetings=int(r["n_meetings"]),
        n_dropped=int(r["n_dropped"]),
        per_firm=_frame_in(r["per_firm"]),
        unmet_minimums=[UnmetMinimum(**u) for u in r["unmet_minimums"]],
        quotas=[QuotaStatus(**q) for q in r["quotas"]],
        must_unscheduled=_frame_in(r["must_unscheduled"]),
        dropped=_frame_in(r["dropped"]),
        solver=r["solver"],
        schedule_method=r["schedule_method"],
        timings={k: float(v) for k, v in r["timings"].items()},
        leaders_one_table=(int(r["leaders_one_table"][0]), int(r["leaders_one_table"][1])),
        notes=list(r["notes"]),
        changes=None if r["changes"] is None else _frame_in(r["changes"]),
    )
    plan = Plan(
        spec=EventSpec(**spec_d),
        settings=PlanSettings(**set_d),
        participants=_frame_in(data["participants"]),
        pairs=_frame_in(data["pairs"]),
        meetings=_frame_in(data["meetings"]),
        report=report,
        cancelled=tuple(data.get("cancelled", [])),
    )
    return plan, PlanMeta(**data["meta"])


class PlanStore:
    """Plan files under ``root`` (one folder per event, one file per version)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, event_id: str) -> Path:
        if not _SAFE_ID.match(event_id):
            raise ValidationError(
                f"event_id must be 1-64 letters, digits, '_', '-', '.' or Chinese characters "
                f"to name a plan folder, got {event_id!r}"
            )
        return self.root / event_id

    def path(self, event_id: str, version: int) -> Path:
        """Where version ``version`` of the event's plan is (or would be) stored."""
        return self._dir(event_id) / f"{version}.json"

    def versions(self, event_id: str) -> list[int]:
        """Stored versions of the event's plan, ascending."""
        folder = self._dir(event_id)
        if not folder.is_dir():
            return []
        return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())

    def save(self, plan: Plan, meta: PlanMeta) -> Path:
        """Write the plan as ``meta.version`` (atomically) and return the file."""
        path = self.path(plan.spec.event_id, meta.version)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(plan_to_dict(plan, meta), ensure_ascii=False, allow_nan=False),
            encoding="utf-8",
        )
        os.replace(tmp, path)
        return path

    def load(self, event_id: str, version: int) -> tuple[Plan, PlanMeta]:
        """Read one version; :class:`NotFoundError` if it was never stored here."""
        path = self.path(event_id, version)
        if not path.is_file():
            raise NotFoundError(
                f"plan version {version} of event {event_id!r} has no plan file at {path}; "
                "plan the event again (chainmatch plan-event or POST /v1/events/{id}/plan)"
            )
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return plan_from_dict(data)

    def remove(self, event_id: str, version: int) -> None:
        """Delete one version's file (used when storing its meetings failed)."""
        self.path(event_id, version).unlink(missing_ok=True)
