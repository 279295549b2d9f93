"""The one typed settings object, read from the environment when asked for (never at import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """chainmatch settings; every field can be set by ``CHAINMATCH_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CHAINMATCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="models, reports, logs, worlds")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite in home")
    rules_file: Path | None = Field(default=None, description="business rules TOML")
    reference_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "data" / "reference",
        description="the reference tables built from ../shared/data",
    )
    import_max_bytes: int = Field(default=50 * 1024 * 1024, description="largest import file")
    log_level: str = "INFO"
    rank_threads: int = Field(
        default=1,
        ge=1,
        description="threads of a server process that compute single ranked lists at once "
        "(the others wait their turn, first come first served)",
    )
    freeze_heap: bool = Field(
        default=False,
        description="after the ranking data is built, keep it out of the garbage collector's "
        "walks (gc.freeze); `chainmatch serve` turns it on",
    )
    telemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry spans, metrics and logs (for a configured "
        "exporter, e.g. OTEL_EXPORTER_OTLP_ENDPOINT with FASTAPI_OTEL_AUTO_CONFIGURE=true)",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'chainmatch.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
