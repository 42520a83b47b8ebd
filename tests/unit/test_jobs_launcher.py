"""The one launcher with a Prefect server: a flow run of the kind's deployment, given the
campaign or the uploaded file, and nothing queued in the application database; a deployment
missing on the server is a clear UnavailableError naming it (and an upload whose check
cannot start is not kept)."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from configs.settings import Settings
from tasks.adapters import upload_store
from tasks.core.errors import UnavailableError
from tasks.services import data, jobs
from tasks.services.context import Context


class Prefect(BaseHTTPRequestHandler):
    """Answers as a Prefect server that has only the deployments in `known`."""

    known = {"write-campaign-messages/write-campaign-messages"}
    seen: list = []

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.seen.append(("GET", self.path, None))
        name = self.path.removeprefix("/api/deployments/name/")
        found = name in self.known
        self._answer(200 if found else 404, {"id": "d1", "name": name} if found else {})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
        self.seen.append(("POST", self.path, body))
        self._answer(200, {"id": "run-1"})

    def log_message(self, *args):
        pass


@pytest.fixture
def prefect(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), Prefect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Prefect.seen = []
    url = f"http://127.0.0.1:{server.server_port}/api"
    yield Context(Settings(state_dir=tmp_path, prefect_api_url=url))
    server.shutdown()


def test_writing_goes_to_a_run_of_the_write_deployment_with_its_campaign(prefect):
    work = jobs.Launch(jobs.WRITE_MESSAGES, "campaign:5", {"campaign_id": 5}, "ana")
    launched = jobs.launch(prefect, work)
    assert launched == jobs.Launched("prefect", flow_run="run-1")
    (method, path, body) = Prefect.seen[-1]
    assert (method, path) == ("POST", "/api/deployments/d1/create_flow_run")
    assert body["parameters"] == {"campaign_id": 5}
    assert not (prefect.settings.state / "retainai.db").exists()  # nothing queued here


def test_a_deployment_missing_on_the_server_is_named(prefect):
    work = jobs.Launch(jobs.SEND_CAMPAIGN, "campaign:5", {"campaign_id": 5}, "ana")
    with pytest.raises(UnavailableError, match="send-campaign-now: run `retainai deploy`"):
        jobs.launch(prefect, work)


def test_an_upload_check_and_its_scoring_go_to_runs_of_their_deployments(prefect, monkeypatch):
    monkeypatch.setattr(
        Prefect, "known", {"check-upload/check-upload", "score-customers/score-upload"}
    )
    accepted = data.accept_upload(prefect, data.NewUpload("may.csv", io.BytesIO(b"a\n1\n")), "ana")
    assert accepted.backend == "prefect"
    (_, path, body) = Prefect.seen[-1]
    assert path == "/api/deployments/d1/create_flow_run"
    assert body["parameters"] == {"upload_id": accepted.upload_id, "name": "may.csv"}
    kept = upload_store.data_file(prefect.settings, accepted.upload_id)
    command = data.ScoreUpload(
        accepted.upload_id, "2026-12-01", Path("configs/telco.yaml"), "telco", "ana"
    )
    started = data.score_upload(prefect, command)
    assert (started.run_id, started.backend) == ("run-1", "prefect")
    (_, _, body) = Prefect.seen[-1]
    parameters = {"config_path": "configs/telco.yaml", "data": str(kept), "as_of": "2026-12-01"}
    assert body["parameters"] == parameters  # JSON-simple: the flow's own parameters
    assert Prefect.seen[-2][1] == "/api/deployments/name/score-customers/score-upload"
    assert not (prefect.settings.state / "retainai.db").exists()  # nothing queued here


def test_an_upload_whose_check_cannot_be_launched_is_not_kept(prefect):
    with pytest.raises(UnavailableError, match="check-upload/check-upload: run `retainai deploy`"):
        data.accept_upload(prefect, data.NewUpload("may.csv", io.BytesIO(b"a\n1\n")), "ana")
    assert list(upload_store.folder_of(prefect.settings).iterdir()) == []
