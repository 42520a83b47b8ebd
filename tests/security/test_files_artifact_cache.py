"""The dashboard's copies of run artifacts: kept where the views look for them, downloaded
once however many views ask at the same time, and never seen half-written. Downloads are
counted on the real MLflow download (a spy that calls it), not replaced."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from serving_helpers import add_users, page_login, serving_settings, with_serving

from configs.schema import load_config
from serving.app import create_app
from tasks.adapters import registry

VIEWS = 16
VIEWER = "cache-viewer@example.test"
HAZARDS = "covariate,coef,hazard_ratio,ci_lower,ci_upper,p\n" + "".join(
    f"covariate_{i},0.1,1.{i:03d},0.9,1.5,0.01\n" for i in range(400)
)


@pytest.fixture(scope="module")
def site(champion, tmp_path_factory):
    """An app on the champion whose training run logged hazard ratios and a holdout plot, with
    no copies of them in the dashboard cache yet."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    folder = tmp_path_factory.mktemp("artifacts")
    registry.configure(champion.settings)
    name = champion.settings.model_name(load_config(champion.config))
    run_id = registry.get_version(name, champion.version).run_id
    (folder / "hazard_ratios.csv").write_text(HAZARDS)
    registry.log_run(run_id, artifacts=[folder / "hazard_ratios.csv"], folder="survival")
    figure = pyplot.figure()
    figure.gca().plot(range(50), range(50))
    figure.savefig(folder / "calibration.png")
    registry.log_run(run_id, artifacts=[folder / "calibration.png"], folder="evaluation")
    cache = champion.settings.state / "dashboard-cache" / name / champion.version
    shutil.rmtree(cache, ignore_errors=True)
    app = create_app(
        with_serving(champion.settings, serving_settings(poll_seconds=0)), champion.config
    )
    with TestClient(app, base_url="https://testserver") as client:
        add_users(app.state.serving.context, {VIEWER: "viewer"})
        page_login(client, VIEWER, "/dashboard/model")
        yield client, cache, (folder / "calibration.png").read_bytes()


@pytest.fixture
def downloads(monkeypatch):
    """Every artifact path the real MLflow download was asked for."""
    asked, lock, real = [], threading.Lock(), registry.download_artifact

    def counted(run_id, path, folder):
        with lock:
            asked.append(path)
        return real(run_id, path, folder)

    monkeypatch.setattr(registry, "download_artifact", counted)
    return asked


def _at_once(client, path: str):
    with ThreadPoolExecutor(VIEWS) as pool:
        return list(pool.map(lambda _: client.get(path), range(VIEWS)))


def test_sixteen_survival_views_download_the_hazard_ratios_once(site, downloads):
    client, cache, _ = site
    answers = _at_once(client, "/dashboard/survival")
    assert [a.status_code for a in answers] == [200] * VIEWS
    assert all("covariate_399" in a.text and "1.399" in a.text for a in answers)
    assert downloads == ["survival/hazard_ratios.csv"]
    assert (cache / "survival" / "hazard_ratios.csv").read_text() == HAZARDS
    assert client.get("/dashboard/survival").status_code == 200 and len(downloads) == 1
    assert not [p for p in cache.rglob("*") if p.name.startswith(".")]  # no scratch left


def test_sixteen_plot_requests_get_the_whole_plot_from_one_download(site, downloads):
    client, cache, png = site
    answers = _at_once(client, f"/dashboard/model/plots/{cache.name}/calibration.png")
    assert [a.status_code for a in answers] == [200] * VIEWS
    assert all(a.content == png for a in answers)
    assert downloads == ["evaluation/calibration.png"]
    assert (cache / "evaluation" / "calibration.png").read_bytes() == png
