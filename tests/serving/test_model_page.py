"""The model page on a trained champion: holdout figures and plots from the registry, the
promotion log, and the admin's retrain and roll-back buttons (refused to a viewer)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from serving_helpers import add_users, idle_jobs, page_login, serving_settings, with_serving

from configs.schema import load_config
from serving.app import create_app


@pytest.fixture(scope="module")
def site(champion):
    with_source = champion.settings.model_copy(
        update={"training_source": SecretStr(str(champion.data))}
    )
    app = create_app(with_serving(with_source, serving_settings(poll_seconds=0)), champion.config)
    with TestClient(app, base_url="https://testserver") as client:
        idle_jobs(app.state.serving.engine)
        add_users(
            app.state.serving.context, {"root@example.test": "admin", "see@example.test": "viewer"}
        )
        yield client, champion
        idle_jobs(app.state.serving.engine)  # its training job is never run


def _log_plot(champion, tmp_path) -> None:
    """What a training run logs beside its model: a holdout plot under evaluation/."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    from tasks.adapters import registry

    registry.configure(champion.settings)
    name = champion.settings.model_name(load_config(champion.config))
    run_id = registry.get_version(name, champion.version).run_id
    figure = pyplot.figure()
    figure.savefig(tmp_path / "roc.png")
    registry.log_run(run_id, artifacts=[tmp_path / "roc.png"], folder="evaluation")


def test_the_champion_its_figures_plots_and_promotions(site, tmp_path):
    client, champion = site
    _log_plot(champion, tmp_path)
    page_login(client, "see@example.test", "/dashboard/model")
    page = client.get("/dashboard/model").text
    assert f"Version {champion.version}" in page and "ROC-AUC (ranking quality)" in page
    assert "brier" not in page and "true_positive" not in page  # words, not column slugs
    counts = re.search(r"Leavers predicted to leave.*?<td class=\"num\">([^<]+)<", page, re.S)
    assert counts and counts.group(1).replace(",", "").isdigit()  # a count, not 52.0000
    assert "Retrain now" not in page  # a viewer has no buttons
    image = client.get(f"/dashboard/model/plots/{champion.version}/roc.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    for plot in ("pr.png", "secrets.txt"):  # not logged; not a plot
        assert client.get(f"/dashboard/model/plots/{champion.version}/{plot}").status_code == 404
    assert client.get("/dashboard/model/drift-report?uri=/etc/passwd").status_code == 404
    assert client.post("/dashboard/model/rollback").status_code == 403


def test_the_champion_card_reads_in_the_page_language(site):
    client, champion = site
    page_login(client, "see@example.test", "/dashboard/model")
    english = client.get("/dashboard/model").text
    card = english.split('class="model-card"')[1].split("</details>")[0]
    for fact in ("Model card", "Known limits", "Champion gate: passed", "validated, 0 quarantined"):
        assert fact in card, fact
    assert f"Source: {champion.data}" in card
    french = client.get("/dashboard/model", headers={"Accept-Language": "fr"}).text
    card = french.split('class="model-card"')[1].split("</details>")[0]
    assert "Fiche du modèle" in card and "Limites connues" in card and "Known limits" not in card


def test_an_admin_retrains_and_a_rollback_without_history_is_refused(site):
    client, _ = site
    token = page_login(client, "root@example.test", "/dashboard/model")
    asked = client.post("/dashboard/model/retrain", data={"csrf_token": token})
    assert asked.status_code == 200 and 'id="confirm"' in asked.text
    assert "training started" not in asked.text  # nothing started before the confirmation
    assert 'name="confirmed" value="yes"' in asked.text
    confirmed = {"csrf_token": token, "confirmed": "yes"}
    started = client.post("/dashboard/model/retrain", data=confirmed)
    assert started.status_code == 200 and "Training started" in started.text
    assert str(started.url).endswith("/dashboard/model?done=training")  # a reload starts none
    assert "Training a model:" in started.text and "starts in a moment" in started.text
    assert 'hx-get="/dashboard/data/runs?watching=1"' in started.text
    asked = client.post("/dashboard/model/rollback", data={"csrf_token": token})
    assert asked.status_code == 200 and "Roll back the champion?" in asked.text
    refused = client.post("/dashboard/model/rollback", data=confirmed)
    assert refused.status_code == 409 and "notice error" in refused.text


def test_the_latest_drift_report_is_read_through_the_report_store(site):
    """A drift check names its report by its place in the store (here the local reports
    folder); the page links it and serves it, and serves nothing outside the store."""
    from datetime import UTC, date, datetime
    from urllib.parse import unquote

    from tasks.adapters import db, report_store
    from tasks.adapters.tables import drift_reports

    client, champion = site
    settings = champion.settings
    html = settings.reports_dir / "monitoring" / "2026-11-29" / "drift_report.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text("<html><body>Evidently drift of 2026-11-29</body></html>")
    uri = report_store.publish(settings, html)
    row = {
        "dataset_drift": False,
        "drifted_share": 0.1,
        "summary": {"columns": []},
        "action": "none",
        "report_uri": uri,
        "run_id": "check-1",
        "created_at": datetime.now(UTC),
    }
    key = {
        "dataset": champion.run_config.dataset.name,
        "as_of": date(2026, 11, 29),
        "model_version": champion.version,
    }
    with db.connected(settings) as engine:
        db.upsert(engine, drift_reports, key, row)
    page_login(client, "see@example.test", "/dashboard/model")
    page = client.get("/dashboard/model").text
    (link,) = re.findall(r'href="(/dashboard/model/drift-report\?uri=[^"]+)"', page)
    assert unquote(link.partition("uri=")[2]) == uri
    report = client.get(link)
    assert report.status_code == 200 and "Evidently drift of 2026-11-29" in report.text
    outside = settings.state / "retainai-notes.html"
    outside.write_text("<html>not a report</html>")
    refused = {outside.as_uri(): 404, uri.replace("drift_report.html", "../../../x.html"): 422}
    for wrong, status in refused.items():  # not a report of the store; leaves the store
        answer = client.get("/dashboard/model/drift-report", params={"uri": wrong})
        assert answer.status_code == status
