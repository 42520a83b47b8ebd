"""Serving settings from `RETAINAI_SERVING_*` (the run config stays in configs/)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServingSettings(BaseSettings):
    """How the API serves: config file, alias polling, batch bounds, pools and caches."""

    model_config = SettingsConfigDict(
        env_prefix="RETAINAI_SERVING_", extra="ignore", frozen=True, populate_by_name=True
    )

    config: Path = Path("configs/telco.yaml")
    alias: str = "champion"
    poll_seconds: float = Field(30.0, ge=0)  # 0 turns alias polling off
    max_batch: int = Field(1000, ge=1, le=100_000)
    inline_rows: int = Field(32, ge=1)  # larger batches are scored in the thread pool
    token_cache_seconds: float = Field(10.0, ge=0)  # revocations apply within this time
    db_pool_size: int = Field(4, ge=1, le=50)
    gc_freeze: bool = True  # move startup objects out of the GC's generations (tail latency)

    @property
    def max_body_bytes(self) -> int:
        """Request bodies above this size are refused with 413 before they are parsed."""
        return 4096 * self.max_batch + 65536
