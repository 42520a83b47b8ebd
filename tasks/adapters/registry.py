"""Every MLflow call: tracking setup, runs, model logging, the registry and its aliases."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from configs.settings import Settings
from tasks.core.errors import RegistryError
from tasks.i18n import N_

CHAMPION = "champion"
CHALLENGER = "challenger"
MAX_DESCRIPTION = 5000  # characters the registry's SQL store keeps for a description
PIP_REQUIREMENTS_PACKAGES = ("scikit-learn", "lightgbm", "pandas", "numpy", "scipy", "mlflow")


def configure(settings: Settings) -> str:
    """Point MLflow at the configured store and return the experiment id."""
    import mlflow

    settings.state.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.resolved_tracking_uri)
    mlflow.set_registry_uri(settings.resolved_tracking_uri)
    experiment = mlflow.get_experiment_by_name(settings.mlflow_experiment)
    if experiment is not None:
        return experiment.experiment_id
    return mlflow.create_experiment(
        settings.mlflow_experiment, artifact_location=settings.resolved_artifact_location
    )


def _client():
    from mlflow import MlflowClient

    return MlflowClient()


@contextlib.contextmanager
def training_run(experiment_id: str, run_name: str, tags: dict[str, str]) -> Iterator[str]:
    """A parent MLflow run; yields its id and ends it FAILED if the body raises."""
    client = _client()
    run_id = client.create_run(experiment_id, run_name=run_name, tags=tags).info.run_id
    try:
        yield run_id
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")


def log_child_run(parent_id: str, name: str, params: dict, metrics: dict[str, float]) -> str:
    """One child run per candidate family, nested under the training run."""
    client = _client()
    parent = client.get_run(parent_id)
    child = client.create_run(
        parent.info.experiment_id, run_name=name, tags={"mlflow.parentRunId": parent_id}
    ).info.run_id
    log_run(child, params=params, metrics=metrics)
    client.set_terminated(child, "FINISHED")
    return child


def log_run(
    run_id: str,
    params: dict | None = None,
    metrics: dict | None = None,
    artifacts: list[Path] | None = None,
    folder: str | None = None,
) -> None:
    """Params, metrics and files for an existing run, without making it the active run."""
    from mlflow.entities import Metric, Param

    client = _client()
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(k, float(v), now, 0) for k, v in (metrics or {}).items()],
        params=[Param(k, _param(v)) for k, v in (params or {}).items()],
    )
    for path in artifacts or []:
        client.log_artifact(run_id, str(path), artifact_path=folder)


def set_tags(run_id: str, tags: dict[str, str]) -> None:
    """Tags on an existing run (finished or not)."""
    client = _client()
    for key, value in tags.items():
        client.set_tag(run_id, key, value)


def log_dataset(run_id: str, frame: pd.DataFrame, source: str, name: str, target: str) -> str:
    """Record the training data's digest and schema as the run's input."""
    import mlflow

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*can be interpreted in multiple ways.*")
        warnings.filterwarnings("ignore", message=".*Inferred schema contains integer.*")
        dataset = mlflow.data.from_pandas(frame, source=source, name=name, targets=target)
    with mlflow.start_run(run_id=run_id):
        mlflow.log_input(dataset, context="training")
    return dataset.digest


def log_model(run_id: str, pipeline: Any, example: pd.DataFrame) -> str:
    """Log the whole sklearn pipeline; its pyfunc returns class probabilities."""
    import mlflow
    from mlflow.models import infer_signature

    # Integers are declared as doubles so a missing value at scoring time is not a type error.
    example = example.astype({c: "float64" for c in example.select_dtypes("integer").columns})
    signature = infer_signature(example, pipeline.predict_proba(example))
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)  # cloudpickle is deliberate
    with mlflow.start_run(run_id=run_id):
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=signature,
            input_example=example,
            serialization_format="cloudpickle",
            pyfunc_predict_fn="predict_proba",
            pip_requirements=pip_requirements(),
        )
    return info.model_uri


def pip_requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in PIP_REQUIREMENTS_PACKAGES]


def register(model_uri: str, name: str, tags: dict[str, str], description: str = "") -> str:
    """Register a logged model as a new version with alias `challenger`, its description
    (the version's card) and tags."""
    import mlflow

    version = mlflow.register_model(model_uri, name, tags=tags).version
    client = _client()
    if description:
        client.update_model_version(name, version, description=description[:MAX_DESCRIPTION])
    client.set_registered_model_alias(name, CHALLENGER, version)
    return str(version)


def describe_model(name: str, description: str) -> None:
    """The registered model's own description (what it predicts), written when it differs."""
    client = _client()
    if (client.get_registered_model(name).description or "") != description:
        client.update_registered_model(name, description=description[:MAX_DESCRIPTION])


def describe_version(name: str, version: str, description: str, tags: dict[str, str]) -> None:
    """Rewrite one version's description and set some of its tags."""
    client = _client()
    for key, value in tags.items():
        client.set_model_version_tag(name, str(version), key, value)
    client.update_model_version(name, str(version), description=description[:MAX_DESCRIPTION])


@dataclass(frozen=True)
class ModelVersion:
    version: str
    aliases: tuple[str, ...]
    run_id: str
    created_at: int
    tags: dict[str, str]
    description: str = ""

    @property
    def metrics(self) -> dict[str, float]:
        return json.loads(self.tags.get("holdout_metrics", "{}"))


def versions(name: str) -> list[ModelVersion]:
    """All versions of a registered model, newest first; empty if it is not registered yet."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        found = client.search_model_versions(f"name = '{name}'")
        aliases = client.get_registered_model(name).aliases or {}
    except MlflowException:
        return []
    return sorted(
        (
            ModelVersion(
                version=str(v.version),
                aliases=tuple(
                    sorted(a for a, ver in aliases.items() if str(ver) == str(v.version))
                ),
                run_id=v.run_id,
                created_at=v.creation_timestamp,
                tags=dict(v.tags or {}),
                description=v.description or "",
            )
            for v in found
        ),
        key=lambda v: int(v.version),
        reverse=True,
    )


def version_by_alias(name: str, alias: str) -> ModelVersion | None:
    """The version an alias points at (one registry call), or None when it is not set."""
    from mlflow.exceptions import MlflowException

    try:
        found = _client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    return ModelVersion(
        version=str(found.version),
        aliases=tuple(sorted({alias, *(found.aliases or ())})),
        run_id=found.run_id,
        created_at=found.creation_timestamp,
        tags=dict(found.tags or {}),
        description=found.description or "",
    )


def get_version(name: str, version: str) -> ModelVersion:
    found = next((v for v in versions(name) if v.version == str(version)), None)
    if found is None:
        raise RegistryError(
            N_("model %(name)r has no version %(version)r"), name=name, version=str(version)
        )
    return found


def set_alias(name: str, alias: str, version: str) -> None:
    _client().set_registered_model_alias(name, alias, str(version))


def load_pipeline(name: str, version: str) -> Any:
    """The logged sklearn pipeline of one version (its predict_proba is the pyfunc output)."""
    import mlflow

    return mlflow.sklearn.load_model(f"models:/{name}/{version}")


def git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _param(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text[:6000]


@dataclass(frozen=True)
class LoadedModel:
    """A registered version with its logged pipeline and the model compiled from it."""

    name: str
    alias: str
    version: ModelVersion
    pipeline: Any
    compiled: Any  # tasks.core.inference.CompiledModel, imported where a model is loaded
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ref(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version.version, "alias": self.alias}


def load_version(name: str, found: ModelVersion, alias: str = CHAMPION) -> LoadedModel:
    """One version's pipeline, compiled and warmed up; refused if it cannot be compiled."""
    from tasks.core.inference import compile_model  # numba kernels: only when loading

    pipeline = load_pipeline(name, found.version)
    try:
        compiled = compile_model(pipeline)
    except TypeError as exc:
        raise RegistryError(f"model {name!r} v{found.version} cannot be served: {exc}") from exc
    compiled.warm_up()
    return LoadedModel(name, alias, found, pipeline, compiled)


def load_champion(name: str, alias: str = CHAMPION, unless_version: str | None = None):
    """Resolve `models:/<name>@<alias>` once and load that exact version (a LoadedModel);
    None when the alias still points at `unless_version` (the one already loaded)."""
    found = version_by_alias(name, alias)
    if found is None:
        raise RegistryError(
            N_("model %(name)r has no %(alias)r version: train and promote one first"),
            name=name,
            alias=alias,
        )
    return None if found.version == unless_version else load_version(name, found, alias)


def download_artifact(run_id: str, path: str, folder: Path) -> Path | None:
    """Download one artifact of a run into `folder`; None when the run has no such file."""
    import mlflow
    from mlflow.exceptions import MlflowException

    folder.mkdir(parents=True, exist_ok=True)
    try:
        found = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=path, dst_path=str(folder)
        )
    except (MlflowException, OSError):
        return None
    return Path(found)


def record_run(
    settings: Settings,
    run_name: str,
    tags: dict[str, str],
    metrics: dict[str, float],
    artifacts: list[Path],
    folder: str,
) -> str:
    """A finished run in the experiment (scoring and monitoring outputs beside training)."""
    experiment_id = configure(settings)
    with training_run(experiment_id, run_name, tags) as run_id:
        log_run(run_id, metrics=metrics, artifacts=artifacts, folder=folder)
    return run_id
