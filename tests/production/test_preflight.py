"""`retainai deploy` as an operator runs it, on the production path's stores (PostgreSQL,
an S3 bucket): a source that does not exist stops it before anything is deployed, naming the
setting and the file; with every source readable the checks pass and deploy goes on to the
Prefect server. No stack is started: the checks come first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration.smtp_server import free_port
from tests.production.conftest import REPO

pytestmark = [pytest.mark.production, pytest.mark.postgres]


def _deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RETAINAI_")}
    return subprocess.run(
        [sys.executable, "-m", "flows", "deploy"],
        cwd=REPO,
        env={**base, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_names_a_missing_source_and_deploys_nothing(tmp_path, postgres_url, s3_endpoint_url):
    import boto3

    customers = tmp_path / "customers.csv"
    customers.write_text("customerID,Churn\n1,No\n")
    env = {
        "RETAINAI_STATE_DIR": str(tmp_path / "state"),
        "RETAINAI_DATABASE_URL": postgres_url,
        "RETAINAI_S3_ENDPOINT_URL": s3_endpoint_url,
        "RETAINAI_REPORTS_URL": "s3://preflight-production/reports",
        "RETAINAI_TRAINING_SOURCE": "data/customers.csv",  # the README's example
        "RETAINAI_SCORING_SOURCE": str(customers),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
    }
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket="preflight-production")

    refused = _deploy(env)
    assert refused.returncode == 3, refused.stderr
    lines = refused.stderr.splitlines()
    assert lines[0] == "error: nothing deployed: what the deployments will read has 1 problem"
    assert lines[1] == (
        f"  RETAINAI_TRAINING_SOURCE: training source data/customers.csv (in {REPO}): "
        "file not found"
    )
    assert "deployed" not in refused.stdout

    # the same settings with a source that exists: the checks pass, deploy reaches Prefect
    passed = _deploy({**env, "RETAINAI_TRAINING_SOURCE": str(customers)})
    assert passed.returncode == 1, passed.stderr
    assert passed.stderr.startswith("error: no Prefect server answers at http://127.0.0.1:")
