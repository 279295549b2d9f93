"""The answer to a file import."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ImportKind = Literal[
    "enterprises", "parks", "needs", "events", "participants", "outcomes", "projects",
    "park_members",
]  # fmt: skip


class ImportResult(BaseModel):
    """What an accepted import did (a dry run writes nothing and reports what it would do)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "enterprises",
                    "source": "企业名录.xlsx",
                    "dry_run": False,
                    "rows": 1200,
                    "inserted": 1180,
                    "updated": 20,
                    "unchanged": 0,
                }
            ]
        }
    )

    kind: ImportKind
    source: str
    dry_run: bool
    rows: int
    inserted: int
    updated: int
    unchanged: int
    layout: str = Field(
        "contract",
        description="the recognised layout: contract, qichacha (企查查), tianyancha (天眼查), "
        "registry, or list (a list updating firms already stored)",
    )
    notes: list[str] = Field(
        default_factory=list, description="a list's rows that found no stored firm, or several"
    )
