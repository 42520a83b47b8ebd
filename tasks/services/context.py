"""What every use case needs, built once per entry point (a CLI invocation, the server, a flow
run) from one `Settings`: the settings and the adapters made from them, each on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine

from configs.settings import Settings
from tasks.adapters import db
from tasks.adapters.prefect_door import PrefectDoor


@dataclass(frozen=True)
class Context:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        """The process's one engine on the application database."""
        return db.engine_for(self.settings)

    @cached_property
    def prefect(self) -> PrefectDoor:
        """The one door to the Prefect server of PREFECT_API_URL (REST; none configured)."""
        return PrefectDoor.from_settings(self.settings)
