"""The dashboard's pages through the app, on stored scores and contacts: the admins'
configuration warnings, the customers list (count, page size, CSV export), the KPI cards,
the charts' words and the confirmations of dangerous actions."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from serving_helpers import REPO, form_login, serving_settings, with_serving

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from serving.app import create_app
from tasks.adapters import campaign_store, db
from tasks.adapters.tables import customer_scores
from tasks.core.contacts import contact_rows
from tasks.core.errors import ForbiddenError
from tasks.services import accounts
from tasks.services.operations.setup_checks import configuration_warnings
from tests.browser.conftest import seed_dashboard

PASSWORD = "correct horse battery"
CONFIG = REPO / "configs" / "telco.yaml"
USERS = {"admin": "ada@example.test", "viewer": "vic@example.test"}
SECRET = "sk-never-shown-4711"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An app with no mail relay, no secret key, no training source, an LLM key whose value
    must never show; 400 scored customers over two dates, with contacts for half."""
    folder = tmp_path_factory.mktemp("pages")
    settings = Settings(state_dir=folder, llm_api_key=SECRET)
    config = load_config(CONFIG)
    with db.connected(settings) as engine:
        db.upgrade(engine)
        seed_dashboard(engine, config)
        ids = [f"B{i:05d}" for i in range(0, 400, 2)]
        contacts = generate_contacts(ids, seed=3).assign(consent_email=True)
        campaign_store.upsert_contacts(engine, contact_rows(contacts, config.dataset.name))
        with engine.begin() as connection:  # a text a spreadsheet would run
            connection.execute(
                sa.update(customer_scores)
                .where(customer_scores.c.customer_id == "B00007")
                .values(segment_value='=HYPERLINK("http://evil.example")')
            )
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), CONFIG)
    with TestClient(app, base_url="https://testserver") as client:
        for role, email in USERS.items():
            accounts.create_user(app.state.serving.context, accounts.NewUser(email, role, PASSWORD))
        yield client


def _as(client, role: str):
    client.cookies.clear()
    assert form_login(client, USERS[role], PASSWORD).status_code == 303
    return client


# --- configuration warnings -------------------------------------------------------------


def test_the_warnings_name_what_is_missing_and_never_a_secret(tmp_path):
    bare = Settings(state_dir=tmp_path, llm_api_key=SECRET)
    found = configuration_warnings(bare, "admin")
    settings = {w.setting for w in found}
    assert {"RETAINAI_SMTP_HOST", "RETAINAI_SECRET_KEY", "RETAINAI_TRAINING_SOURCE"} <= settings
    assert "RETAINAI_LLM_API_KEY" not in settings  # set
    assert SECRET not in repr(found)
    full = Settings(
        state_dir=tmp_path,
        smtp_host="mail.example.test",
        mail_from="RetainAI <noreply@example.test>",
        secret_key="a" * 32,
        public_url="https://retain.example.test",
        training_source="customers.csv",
        llm_api_key=SECRET,
    )
    assert configuration_warnings(full, "admin") == []
    without_llm = full.model_copy(update={"llm_api_key": None})
    assert [w.setting for w in configuration_warnings(without_llm, "admin")] == [
        "RETAINAI_LLM_API_KEY"
    ]
    with pytest.raises(ForbiddenError):
        configuration_warnings(bare, "analyst")


def test_admins_see_the_warnings_on_the_overview_and_others_do_not(site):
    page = _as(site, "admin").get("/dashboard/").text
    assert 'id="setup-warnings"' in page
    for setting in ("RETAINAI_SMTP_HOST", "RETAINAI_TRAINING_SOURCE"):
        assert setting in page
    # in development the app signs with a key it made in the state folder: nothing to warn of
    assert "RETAINAI_SECRET_KEY" not in page
    assert "RETAINAI_LLM_API_KEY" not in page and SECRET not in page
    viewer = _as(site, "viewer").get("/dashboard/").text
    assert "setup-warnings" not in viewer and "RETAINAI_SMTP_HOST" not in viewer


def test_a_password_reset_without_a_mail_relay_says_so(site):
    site.cookies.clear()
    answer = site.post("/auth/reset", data={"email": USERS["viewer"]})
    assert answer.status_code == 200
    assert "not available" in answer.text and "Check your email" not in answer.text


# --- customers ------------------------------------------------------------------------


def _count(page: str) -> int:
    found = re.search(r"id=\"customer-count\">([0-9,]+) customers? match", page)
    return int(found.group(1).replace(",", ""))


def _rows(page: str) -> list[str]:
    return re.findall(r'<a href="/dashboard/customers/([^"]+)">', page)


def test_the_customers_page_counts_the_filtered_list_and_sizes_its_pages(site):
    client = _as(site, "viewer")
    page = client.get("/dashboard/customers").text
    assert _count(page) == 400 and len(_rows(page)) == 50
    for size in (25, 100, 500):
        shown = client.get(f"/dashboard/customers?size={size}").text
        assert len(_rows(shown)) == min(size, 400)
        assert f'<option value="{size}" selected>' in shown
    assert len(_rows(client.get("/dashboard/customers?size=7").text)) == 50  # not offered
    high = client.get("/dashboard/customers?risk=high&size=25").text
    assert 0 < _count(high) < 400
    following = re.search(r'href="([^"]+)" rel="next"', high)
    if _count(high) > 25:
        assert "size=25" in following.group(1).replace("&amp;", "&")
    assert _count(client.get("/dashboard/customers?q=B001").text) == 100
    assert ">1 customer matches<" in client.get("/dashboard/customers?q=B00001").text


def _csv(client, query: str) -> list[dict[str, str]]:
    answer = client.get(f"/dashboard/customers.csv{query}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_csv_export_holds_the_whole_filtered_list_safe_for_spreadsheets(site):
    client = _as(site, "viewer")
    everyone = _csv(client, "")
    assert len(everyone) == 400  # every page, not the first 50
    assert {"Customer", "Churn probability", "Risk", "Lifetime value"} <= set(everyone[0])
    probabilities = [float(row["Churn probability"]) for row in everyone]
    assert probabilities == sorted(probabilities, reverse=True)
    high = _csv(client, "?risk=high")
    page = client.get("/dashboard/customers?risk=high").text
    assert len(high) == _count(page) and {row["Risk"] for row in high} == {"high"}
    ids = _csv(client, "?q=B000&sort=customer_id&order=asc")
    assert [row["Customer"] for row in ids] == [f"B{i:05d}" for i in range(100)]
    cells = [v for row in everyone for v in row.values()]
    formula = [v for v in cells if "HYPERLINK" in v]
    assert formula and all(v.startswith("'=") for v in formula)
    assert "/dashboard/customers.csv?risk=high&amp;sort=churn_score&amp;order=desc" in page


def test_the_customer_page_shows_contact_data_where_present(site):
    client = _as(site, "viewer")
    with_contact = client.get("/dashboard/customers/B00002").text
    assert 'id="contact"' in with_contact and "@" in with_contact
    assert "Email consent" in with_contact
    without = client.get("/dashboard/customers/B00003").text
    assert 'id="contact"' not in without


# --- KPI cards --------------------------------------------------------------------------


def _cards(page: str) -> list[str]:
    return re.findall(r'<article class="kpi">(.*?)</article>', page, re.S)


def test_kpi_cards_carry_the_currency_a_definition_and_a_trend(site):
    page = _as(site, "viewer").get("/dashboard/").text
    cards = {
        re.search(r'aria-describedby="[^"]+">([^<]+)', c).group(1).strip(): c for c in _cards(page)
    }
    assert set(cards) == {
        "Customers",
        "Churn rate",
        "At risk",
        "Average score",
        "Revenue at risk / month",
        "Average lifetime value",
    }
    for label in ("Revenue at risk / month", "Average lifetime value"):
        assert re.search(r'class="value">\$[0-9,]+<', cards[label]), cards[label]
    for card in cards.values():  # a definition on hover (title) and on focus (tooltip)
        tip = re.search(r'tabindex="0" title="([^"]+)" aria-describedby="([^"]+)"', card)
        assert tip and len(tip.group(1)) > 20
        assert f'role="tooltip" id="{tip.group(2)}">{tip.group(1)}</span>' in card
        points = re.search(r'<polyline points="([^"]+)"', card).group(1).split()
        assert len(points) == 2  # the two stored scoring dates
        assert "Oct 1, 2026 \u2013 Nov 1, 2026" in card
    at_risk = cards["At risk"]
    assert "(high risk)" in at_risk and "60%" in at_risk and "medium risk" in at_risk
    assert "since Oct 1, 2026" in page and "2026-11-01" not in page


def test_the_currency_comes_from_the_run_config(tmp_path):
    from configs.dataset import Dataset

    raw = load_config(CONFIG).dataset.model_dump()
    assert Dataset(**{**raw, "currency": "EUR"}).currency == "EUR"
    with pytest.raises(ValueError, match="currency"):
        Dataset(**{**raw, "currency": "euros"})


# --- charts -----------------------------------------------------------------------------


def _spec(element: str) -> dict:
    import html
    import json

    return json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', element).group(1)))


def test_survival_curves_take_the_risk_colours_and_words():
    from serving import group_charts

    rows = [
        {"group": group, "timeline": t, "survival": s, "ci_lower": s - 0.05, "ci_upper": s}
        for group in ("low", "high", "medium")
        for t, s in ((0, 1.0), (12, 0.8))
    ]
    element = group_charts.survival_chart(rows, "risk_segment")
    spec = _spec(element)
    lines = [t for t in spec["data"] if t.get("name")]
    assert [t["name"] for t in lines] == ["high risk", "medium risk", "low risk"]
    assert [t["line"]["color"] for t in lines] == ["#d92d20", "#f79009", "#12b76a"]
    assert "risk_segment" not in element and "by risk segment (95% bands)</h2>" in element
    assert spec["config"]["displayModeBar"] is False


def test_heatmap_bands_read_in_numeric_order_in_one_unit_with_room_for_labels():
    from serving import group_charts

    bands = ["0-6 months", "12-24 months", "24-48 months", "48+ months", "6-12 months"]
    table = {
        "rows": ["Month-to-month", "One year"],
        "columns": bands,
        "customers": [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]],
        "churn_rate": [[0.1, 0.3, 0.4, 0.5, 0.2], [0.01, 0.03, 0.04, 0.05, 0.02]],
    }
    element = group_charts.heatmap_chart("Contract x tenure band", table, "churn_rate")
    spec = _spec(element)
    cells = spec["data"][0]
    assert cells["x"] == ["0-6 months", "6-12 months", "12-24 months", "24-48 months", "48+ months"]
    assert cells["z"][0] == [0.1, 0.2, 0.3, 0.4, 0.5] and cells["customdata"][0] == [1, 5, 2, 3, 4]
    assert cells["text"][0][0] == "10%" and cells["colorbar"]["tickformat"] == ".0%"
    layout = spec["layout"]
    assert layout["xaxis"]["automargin"] and layout["yaxis"]["automargin"]
    title = '<h2 class="chart-title">Churn rate (observed) by contract and tenure band</h2>'
    assert element.startswith(title) and "title" not in layout  # a heading that wraps


def test_chart_dates_are_written_as_the_pages_write_them(site):
    page = _as(site, "viewer").get("/dashboard/customers/B00001").text
    history = _spec(page.split('class="card chart">')[1])
    assert history["data"][0]["x"] == ["Oct 1, 2026", "Nov 1, 2026"]
    assert "2026-10-01" not in page


# --- dangerous actions ------------------------------------------------------------------


def test_a_role_change_and_a_deactivation_are_confirmed_then_reported(site):
    client = _as(site, "admin")
    page = client.get("/dashboard/users").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    engine = client.app.state.serving.engine
    from tasks.adapters import users as user_store

    vic = next(u for u in user_store.list_users(engine) if u["email"] == USERS["viewer"])
    url = f"/dashboard/users/{vic['id']}"
    asked = client.post(url, data={"role": "analyst", "active": "yes", "csrf_token": token})
    assert asked.status_code == 200 and "Change the role of vic@example.test?" in asked.text
    assert 'name="role" value="analyst"' in asked.text and "Cancel" in asked.text
    assert (
        user_store.list_users(engine)
        and next(u for u in user_store.list_users(engine) if u["id"] == vic["id"])["role"]
        == "viewer"
    )  # nothing changed yet
    off = client.post(url, data={"role": "viewer", "csrf_token": token})
    assert "Deactivate vic@example.test?" in off.text
    yes = {"role": "analyst", "active": "yes", "csrf_token": token, "confirmed": "yes"}
    done = client.post(url, data=yes, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/users?done=saved"
    shown = client.get(done.headers["location"]).text
    assert 'class="notice ok"' in shown and "were saved" in shown
    back = {"role": "viewer", "active": "yes", "csrf_token": token, "confirmed": "yes"}
    assert client.post(url, data=back, follow_redirects=False).status_code == 303
    unchanged = {"role": "viewer", "active": "yes", "csrf_token": token}
    same = client.post(url, data=unchanged, follow_redirects=False)
    assert same.status_code == 303  # nothing changes: nothing to confirm


def test_the_tokens_page_is_in_the_admins_navigation_and_a_403_keeps_it(site):
    admin = _as(site, "admin").get("/dashboard/").text
    assert 'href="/dashboard/tokens"' in admin
    refused = _as(site, "viewer").get("/dashboard/tokens")
    assert refused.status_code == 403
    assert 'href="/dashboard/customers"' in refused.text and "Log out" in refused.text
    assert 'href="/dashboard/tokens"' not in refused.text
