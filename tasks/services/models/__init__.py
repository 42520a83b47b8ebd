"""Training and models: registered versions and the champion, the model and survival
overviews, training and scoring runs."""

from tasks.services.models.commands import (
    ChampionMoved,
    PromoteVersion,
    RollBack,
    ScoringStarted,
    StartScoring,
    StartTraining,
    TableWork,
    TrainingStarted,
    VersionRow,
)
from tasks.services.models.overview import PLOTS, evaluation_plot, model_overview
from tasks.services.models.runs import (
    deployment_schedules,
    prefect_configured,
    run_scoring,
    run_training,
    start_scoring,
    start_training,
    table_work,
)
from tasks.services.models.survival import survival_overview
from tasks.services.models.versions import list_versions, promote_version, rollback

__all__ = [
    "PLOTS",
    "ChampionMoved",
    "PromoteVersion",
    "RollBack",
    "ScoringStarted",
    "StartScoring",
    "StartTraining",
    "TableWork",
    "TrainingStarted",
    "VersionRow",
    "deployment_schedules",
    "evaluation_plot",
    "list_versions",
    "model_overview",
    "prefect_configured",
    "promote_version",
    "rollback",
    "run_scoring",
    "run_training",
    "start_scoring",
    "start_training",
    "survival_overview",
    "table_work",
]
