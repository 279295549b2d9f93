"""The event planner: which pairs meet, when and at which table, and how close to optimal.

Public API (pure: frames in, a :class:`Plan` out; no database, no files unless asked)::

    plan = plan_event(spec, participants, pairs, settings)   # optimised plan + report
    base = greedy_plan(spec, participants, pairs, settings)  # highest-value-first baseline
    plan2 = replan(plan, cancelled_uscc)                     # after a cancellation
    agendas(plan); grid(plan)                                # frames
    violations(plan)                                         # broken hard rules, [] = valid
    write_excel(plan, path); render_html(plan)               # exports
"""

from recommender.planner.check import violations
from recommender.planner.export import AGENDA_COLUMNS, agendas, grid, render_html, write_excel
from recommender.planner.model import CityQuota, EventSpec, PlanSettings
from recommender.planner.plan import MEETING_COLUMNS, Plan, greedy_plan, plan_event
from recommender.planner.replan import CHANGE_COLUMNS, replan
from recommender.planner.report import PlanReport, QuotaStatus, UnmetMinimum

__all__ = [
    "AGENDA_COLUMNS",
    "CHANGE_COLUMNS",
    "MEETING_COLUMNS",
    "CityQuota",
    "EventSpec",
    "Plan",
    "PlanReport",
    "PlanSettings",
    "QuotaStatus",
    "UnmetMinimum",
    "agendas",
    "greedy_plan",
    "grid",
    "plan_event",
    "render_html",
    "replan",
    "violations",
    "write_excel",
]
