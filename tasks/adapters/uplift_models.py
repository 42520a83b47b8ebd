"""Uplift models in MLflow: logged with their pyfunc (`predict` gives each customer's uplift)
and registered under their own name beside the churn model's."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from tasks.adapters import registry


def registered_name(churn_model_name: str) -> str:
    return f"{churn_model_name}-uplift"


def log_uplift_model(run_id: str, model: Any, example: pd.DataFrame) -> str:
    """Log an uplift model (an object whose `predict` gives each customer's uplift)."""
    import mlflow
    from mlflow.models import infer_signature

    signature = infer_signature(example, model.predict(example))
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)  # cloudpickle is deliberate
    with mlflow.start_run(run_id=run_id):
        info = mlflow.sklearn.log_model(
            model,
            name="uplift_model",
            signature=signature,
            input_example=example,
            serialization_format="cloudpickle",
            pyfunc_predict_fn="predict",
            pip_requirements=registry.pip_requirements(),
        )
    return info.model_uri


def register_uplift_model(model_uri: str, name: str, tags: dict[str, str], better: bool) -> str:
    """A new version (alias `challenger`), also `champion` when it beats random targeting on
    its held-out customers (`better`)."""
    version = registry.register(model_uri, name, tags)
    if better:
        registry.set_alias(name, registry.CHAMPION, version)
    return version


def load_uplift_model(name: str) -> tuple[Any, str]:
    """The champion uplift model and its version; LookupError when none beat random
    targeting on its held-out customers yet."""
    import mlflow

    found = registry.version_by_alias(name, registry.CHAMPION)
    if found is None:
        raise LookupError(f"no champion uplift model {name!r}: run `retainai uplift train`")
    return mlflow.sklearn.load_model(f"models:/{name}/{found.version}"), str(found.version)
