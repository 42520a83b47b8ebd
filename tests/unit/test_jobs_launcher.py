"""The one launcher with a Prefect server: a flow run of the kind's deployment, given the
campaign, and nothing queued in the application database; a deployment missing on the
server is a clear UnavailableError naming it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from configs.settings import Settings
from tasks.core.errors import UnavailableError
from tasks.services import jobs
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
