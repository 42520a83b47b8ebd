"""The pages in the reader's language: the user's choice on the profile page, else the
deployment's default, else the browser's Accept-Language; numbers and dates formatted for
the language; error messages of pages and of the API translated."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from email import message_from_bytes, policy

import pytest
from fastapi.testclient import TestClient
from serving_helpers import REPO, form_login, seed_scores, serving_settings, with_serving

from configs.settings import Settings
from serving.app import create_app
from tasks.adapters import users as user_store
from tasks.services import accounts
from tests.integration.smtp_server import Recorder, smtp_server

PASSWORD = "correct horse battery"
CONFIG = REPO / "configs" / "telco.yaml"
NNBSP = "\u202f"  # French thousands separator


@pytest.fixture
def site(tmp_path, request):
    settings = Settings(state_dir=tmp_path, **getattr(request, "param", {}))
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), CONFIG)
    with TestClient(app, base_url="https://testserver") as client:
        ctx = app.state.serving.context
        for email, role in (("ada@example.test", "admin"), ("vic@example.test", "viewer")):
            accounts.create_user(ctx, accounts.NewUser(email, role, PASSWORD))
        yield client, app.state.serving.engine


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _choose(client, language: str):
    token = _csrf(client.get("/dashboard/profile").text)
    return client.post(
        "/dashboard/profile/language", data={"csrf_token": token, "language": language}
    )


def test_a_french_user_gets_french_pages_with_french_numbers_and_dates(site):
    client, engine = site
    seed_scores(engine, rows=1200)
    form_login(client, "ada@example.test", PASSWORD)
    english = client.get("/dashboard/")
    assert "Overview" in english.text and "1,200" in english.text
    assert "since Oct 1, 2026" in english.text and '<html lang="en">' in english.text

    chosen = _choose(client, "fr")
    assert chosen.status_code == 200 and "Langue enregistrée." in chosen.text
    assert '<option value="fr" lang="fr" selected>' in chosen.text
    me = user_store.user_by_email(engine, "ada@example.test")
    assert me["language"] == "fr"

    page = client.get("/dashboard/").text
    assert '<html lang="fr">' in page and "Vue d'ensemble" in page and "Overview" not in page
    assert "Aucun relais de messagerie : les liens de réinitialisation" in html.unescape(page)
    assert "No mail relay" not in page  # the admins' setup warnings too
    assert f"1{NNBSP}200" in page and "depuis le 1 oct. 2026" in page
    assert "Se déconnecter" in page and "administrateur" in page
    listing = client.get("/dashboard/campaigns").text
    assert "Campagnes" in listing and "Aucune campagne pour l'instant." in listing
    users = client.get("/dashboard/users").text
    assert "<td>Français</td>" in users and "<td>par défaut</td>" in users
    customers = client.get("/dashboard/customers").text
    assert "Probabilité d'attrition" in customers and "élevé" in customers
    assert f"1{NNBSP}200 clients correspondent" in customers  # the template's plural
    download = client.get("/dashboard/customers.csv?risk=high").text
    heading, first = download.splitlines()[:2]
    assert heading.startswith("Client,Probabilité d'attrition,Risque,")
    assert ",élevé," in first and re.search(r",0\.\d+,", first)  # numbers as programs read

    back = _choose(client, "")  # the browser's default again
    assert back.status_code == 200 and "Language saved." in back.text
    assert user_store.user_by_email(engine, "ada@example.test")["language"] is None


def _store_figures(engine) -> None:
    """The latest KPI snapshot with risk segments and a heatmap, as a scoring run stores them."""
    import sqlalchemy as sa

    from tasks.adapters.tables import kpi_snapshots

    share = {"low": 0.5, "medium": 0.3, "high": 0.2}
    bands = ["0-6 months", "6-12 months"]
    table = {
        "rows": ["Month-to-month", "One year"],
        "columns": bands,
        "customers": [[10, 5], [8, 17]],
        "mean_score": [[0.6, 0.4], [0.2, 0.1]],
        "churn_rate": [[0.5, 0.3], [0.1, 0.05]],
    }
    kpis = {
        "customers_scored": 40,
        "segments": {s: {"count": int(40 * v), "share": v} for s, v in share.items()},
        "heatmaps": {"Contract x tenure band": table},
    }
    latest = kpi_snapshots.c.as_of == date(2026, 11, 1)
    with engine.begin() as connection:
        connection.execute(sa.update(kpi_snapshots).where(latest).values(kpis=kpis))


def _charts(page: str) -> dict[str, dict]:
    """The page's charts by their (unescaped) titles: their plotly.js specs."""
    found = re.findall(
        r'<h2 class="chart-title">([^<]+)</h2>\s*<div[^>]+data-chart="([^"]+)"', page
    )
    return {html.unescape(title): json.loads(html.unescape(spec)) for title, spec in found}


def test_a_french_user_reads_the_charts_in_french(site):
    client, engine = site
    seed_scores(engine)
    _store_figures(engine)
    form_login(client, "vic@example.test", PASSWORD)
    english = _charts(client.get("/dashboard/").text)
    assert {"Customers by risk segment", "KPI history"} <= set(english)
    assert english["Customers by risk segment"]["layout"]["separators"] == ".,"
    assert english["Customers by risk segment"]["data"][0]["x"] == [
        "low risk",
        "medium risk",
        "high risk",
    ]
    heatmaps = _charts(client.get("/dashboard/heatmaps").text)
    assert "Churn rate (observed) by Contract and tenure band" in heatmaps  # its label

    _choose(client, "fr")
    overview = _charts(client.get("/dashboard/").text)
    assert set(overview) == {"Clients par segment de risque", "Historique des indicateurs"}
    bars = overview["Clients par segment de risque"]["data"][0]
    assert overview["Clients par segment de risque"]["layout"]["separators"] == ",\u202f"
    assert bars["text"] == ["50,0\u00a0%", "30,0\u00a0%", "20,0\u00a0%"]  # Babel's French
    assert bars["x"] == ["risque faible", "risque moyen", "risque élevé"]
    assert bars["hovertemplate"] == "%{x} : %{y:,} clients<extra></extra>"  # plotly's fields kept
    lines = overview["Historique des indicateurs"]["data"]
    assert [t["name"] for t in lines] == ["taux d'attrition", "part à risque élevé"]
    heatmaps = _charts(client.get("/dashboard/heatmaps").text)
    assert set(heatmaps) == {
        "Taux d'attrition (observé) par Contract et tranche d'ancienneté",
        "Score d'attrition moyen par Contract et tranche d'ancienneté",
    }
    cells = heatmaps["Score d'attrition moyen par Contract et tranche d'ancienneté"]["data"][0]
    assert cells["x"] == ["0-6 mois", "6-12 mois"] and cells["y"] == ["Month-to-month", "One year"]
    assert cells["hovertemplate"].startswith("%{y} / %{x} : %{z:.1%} de %{customdata:,} clients")


def test_a_french_analyst_reads_why_a_campaign_form_was_refused_in_french(site):
    client, engine = site
    seed_scores(engine)
    form_login(client, "ada@example.test", PASSWORD)
    _choose(client, "fr")
    page = client.get("/dashboard/campaigns/new").text
    form = {"name": "", "min_probability": "1.5", "csrf_token": _csrf(page)}
    refused = client.post("/dashboard/campaigns", data=form)
    said = html.unescape(refused.text)
    assert refused.status_code == 400
    assert "Probabilité d'attrition minimale : 1,5 est hors de l'intervalle [0 ; 1]" in said
    form = {**form, "min_probability": "0.5"}
    nameless = html.unescape(client.post("/dashboard/campaigns", data=form).text)
    assert "Nom de la campagne : une campagne doit avoir un nom" in nameless
    ranked = html.unescape(client.get("/dashboard/campaigns/preview").text)
    assert "Classement par profit attendu." in ranked  # the ranking in business words
    costs = re.search(r"Coût de contact</th><td class=\"num\">([^<]+)<", ranked).group(1)
    assert costs.endswith("\u00a0$US")  # money in the table's currency, written in French
    preview = client.get("/dashboard/campaigns/preview", params={"limit": "lots"})
    assert "Taille maximale de l'audience : 'lots' n'est pas un nombre" in html.unescape(
        preview.text
    )


def test_the_browser_language_applies_without_a_choice_and_a_choice_wins(site):
    client, _ = site
    french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    login = client.get("/auth/login", headers=french).text
    assert "Se connecter" in login and "Mot de passe oublié ?" in login
    form_login(client, "vic@example.test", PASSWORD)
    assert "Aucun score pour l'instant" in client.get("/dashboard/", headers=french).text
    _choose(client, "en")
    page = client.get("/dashboard/", headers=french).text
    assert "No scores yet" in page and '<html lang="en">' in page


@pytest.mark.parametrize("site", [{"default_language": "fr"}], indirect=True)
def test_the_deployments_default_comes_before_the_browser(site):
    client, _ = site
    page = client.get("/auth/login", headers={"Accept-Language": "en-GB"}).text
    assert "Mot de passe oublié ?" in page


def test_a_bad_language_is_refused_with_the_reason(site):
    client, engine = site
    form_login(client, "vic@example.test", PASSWORD)
    refused = _choose(client, "de")
    assert refused.status_code == 400 and "language: one of en, fr" in refused.text
    assert user_store.user_by_email(engine, "vic@example.test")["language"] is None


def test_error_messages_are_translated_on_pages_and_in_the_api(site):
    client, _ = site
    form_login(client, "vic@example.test", PASSWORD)
    _choose(client, "fr")
    forbidden = client.get("/dashboard/users")
    assert forbidden.status_code == 403 and "Action non autorisée" in forbidden.text
    assert "le rôle lecteur ne permet pas d&#39;ouvrir cette page" in forbidden.text
    client.cookies.clear()
    french = {"Accept-Language": "fr"}
    wrong = form_login(client, "vic@example.test", "not the password")
    assert wrong.status_code == 401 and "wrong email or password" in wrong.text
    client.cookies.clear()
    page = client.get("/auth/login", headers=french)
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    data = {"email": "vic@example.test", "password": "nope", "login_token": token}
    refused = client.post("/auth/login", data=data, headers=french)
    assert refused.status_code == 401 and "e-mail ou mot de passe incorrect" in refused.text
    body = {"email": "vic@example.test", "password": "nope"}
    api = client.post("/auth/login", json=body, headers=french)
    assert api.status_code == 401
    assert api.json()["detail"] == "e-mail ou mot de passe incorrect"
    english = client.post("/auth/login", json=body)  # the fourth failure: a wait
    assert english.status_code == 429
    assert english.json()["detail"].startswith("too many wrong passwords: try again in ")
    held = client.post("/auth/login", json=body, headers=french)
    assert held.json()["detail"].startswith("trop de mots de passe erronés : réessayez dans ")
    assert held.json()["detail"].endswith(" secondes")
    unknown = client.get("/customers/C0001", headers={"Authorization": "Bearer rtn_x_y", **french})
    assert unknown.status_code == 401 and unknown.json()["detail"] == "jeton non valide ou révoqué"
    missing = client.get("/customers/C0001")
    assert missing.status_code == 401 and missing.json()["detail"] == "missing bearer token"


def test_the_reset_email_is_in_the_users_language(tmp_path):
    recorder = Recorder()
    with smtp_server(recorder) as port:
        settings = Settings(
            state_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            mail_from="RetainAI <noreply@example.test>",
            public_url="https://retain.example.test",
        )
        app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), CONFIG)
        with TestClient(app, base_url="https://testserver") as client:
            ctx = app.state.serving.context
            user = accounts.create_user(ctx, accounts.NewUser("eve@example.test", "viewer")).user
            accounts.set_language(ctx, accounts.LanguageChoice(user["id"], "fr"))
            client.post("/auth/reset", data={"email": "eve@example.test"})
    mail = message_from_bytes(recorder.received[-1].content, policy=policy.default)
    text = mail.get_content()
    assert mail["Subject"] == "Réinitialiser votre mot de passe"
    assert "Choisissez un nouveau mot de passe ici" in text
    assert "https://retain.example.test/auth/reset/" in text


def test_the_notices_after_a_confirmed_action_read_in_the_users_language(site):
    client, _engine = site
    form_login(client, "ada@example.test", PASSWORD)
    _choose(client, "fr")
    saved = client.get("/dashboard/users", params={"done": "saved"}).text
    assert "Le rôle et l&#39;état de l&#39;utilisateur sont enregistrés" in saved
    assert "were saved" not in saved
