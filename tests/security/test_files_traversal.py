"""Every file a request names resolves inside its folder: the drift report (MLflow run
artifacts and the report store), the holdout plots and the quarantine download refuse
absolute paths, `..`, run ids that are not run ids and symbolic links that lead out."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serving_helpers import add_users, page_login, serving_settings, with_serving

from serving.app import create_app
from tasks.adapters import report_store
from tasks.adapters.storage import inside
from tasks.core.errors import InvalidInputError

SECRET = "<html><body>a file no dashboard user may read</body></html>"
VIEWER = "files-viewer@example.test"


@pytest.fixture(scope="module")
def site(champion):
    app = create_app(
        with_serving(champion.settings, serving_settings(poll_seconds=0)), champion.config
    )
    with TestClient(app, base_url="https://testserver") as client:
        add_users(app.state.serving.context, {VIEWER: "viewer"})
        page_login(client, VIEWER, "/dashboard/model")
        yield client, champion


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "secret.html"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


def _refused(answer) -> bool:
    return answer.status_code in (404, 422) and "no dashboard user may read" not in answer.text


def test_a_drift_report_uri_cannot_name_a_file_outside_the_cache(site, secret):
    client, champion = site
    cache = champion.settings.state / "dashboard-cache"
    cache.mkdir(exist_ok=True)
    (cache / "beside.html").write_text(SECRET)  # reached by a run id of '..'
    for uri in (
        f"runs:/abc/{secret}",  # runs:/abc//tmp/.../secret.html: an absolute artifact path
        f"runs:/..//{secret}",
        "runs:/../beside.html",
        "runs:/abc/../../beside.html",
        f"runs://{secret}",
    ):
        answer = client.get("/dashboard/model/drift-report", params={"uri": uri})
        assert _refused(answer), (uri, answer.status_code)
    answer = client.get("/dashboard/model/drift-report", params={"uri": "runs:/../beside.html"})
    assert answer.status_code == 422 and "is not a run id" in answer.text


def test_a_report_store_uri_cannot_leave_the_reports_folder(site, secret):
    client, champion = site
    settings = champion.settings
    folder = settings.reports_dir / "monitoring" / "2026-12-01"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "link.html").unlink(missing_ok=True)
    (folder / "link.html").symlink_to(secret)  # a link inside that leads out
    root = settings.reports_dir.resolve().as_uri()
    leaving = (f"{root}/monitoring/../../../outside/secret.html", f"{root}/{secret}")
    for uri in (secret.as_uri(), f"{root}/monitoring/2026-12-01/link.html", *leaving):
        answer = client.get("/dashboard/model/drift-report", params={"uri": uri})
        assert _refused(answer), (uri, answer.status_code)


def test_plots_and_downloads_name_only_their_own_files(site):
    client, champion = site
    plots = f"/dashboard/model/plots/{champion.version}"
    for path in (
        f"{plots}/config.yaml",
        "/dashboard/model/plots/../roc.png",
        f"{plots}/..%2F..%2Fconfig.yaml",
        "/dashboard/data/x..y/quarantine.csv",
    ):
        assert client.get(path).status_code == 404, path


def test_inside_keeps_every_name_in_its_folder(tmp_path, secret):
    folder = tmp_path / "reports"
    (folder / "run-1").mkdir(parents=True)
    assert inside(folder, "run-1", "km.csv") == (folder / "run-1" / "km.csv").resolve()
    assert inside(folder, "run-1/km.csv") == (folder / "run-1" / "km.csv").resolve()
    (folder / "run-1" / "out").symlink_to(secret.parent)
    wrong = [("/etc/passwd",), ("..", "x"), ("run-1/../../x",), ("",), ("a//b",), (".",)]
    wrong += [("run-1\\..\\..\\x",), ("a\x00b",), ("run-1", "out", "secret.html")]
    for parts in wrong:
        with pytest.raises(InvalidInputError):
            inside(folder, *parts)


def test_the_report_store_refuses_a_location_that_leaves_it(tmp_path):
    from configs.settings import Settings

    settings = Settings(state_dir=tmp_path / "state")
    root = settings.reports_dir.resolve().as_uri()
    for wrong in (f"{root}/../secret.html", f"{root}/a/../../secret.html", f"{root}//etc/passwd"):
        with pytest.raises(InvalidInputError):
            report_store.fetch(settings, wrong)
