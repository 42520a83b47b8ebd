"""Security headers on every answer: no framing, no type sniffing, no address sent to other
sites, and a Content-Security-Policy whose scripts come from the app itself or carry the
response's own nonce; the API documentation allows its inline script by digest only, and the
drift report runs sandboxed. (tests/browser/test_csp_pages.py checks the pages in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serving_helpers import REPO, add_users, page_login, serving_settings, with_serving

from configs.settings import Settings
from serving import charts
from serving.app import create_app

TEMPLATES = REPO / "serving" / "web" / "templates"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = Settings(state_dir=tmp_path_factory.mktemp("csp"))
    app = create_app(with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml")
    with TestClient(app, base_url="https://testserver") as client:
        add_users(app.state.serving.context, {"csp-viewer@example.test": "viewer"})
        yield client, settings


def _directives(policy: str) -> dict[str, str]:
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value.strip() for name, _, value in pairs}


def test_every_answer_refuses_framing_and_sniffing(site):
    client, _ = site
    login = client.get("/auth/login")
    css = re.search(r'href="(/static/[^"]+/app\.css)"', login.text).group(1)
    for path in ("/auth/login", "/health", "/no/such/page", css, "/model/info", "/openapi.json"):
        answer = client.get(path)
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "same-origin", path
        policy = _directives(answer.headers["content-security-policy"])
        assert policy["frame-ancestors"] == "'none'", path


def test_pages_run_scripts_of_the_app_or_with_the_responses_own_nonce(site):
    client, _ = site
    nonces = []
    for _ in range(2):
        page = client.get("/auth/login")
        policy = _directives(page.headers["content-security-policy"])
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]{22,})'", policy["script-src"]).group(1)
        assert page.context["csp_nonce"] == nonce  # what a template's inline script would carry
        assert policy["object-src"] == policy["base-uri"] == "'none'"
        assert policy["default-src"] == policy["connect-src"] == "'self'"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_page_or_chart_holds_an_inline_script_without_the_nonce():
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'nonce="{{ csp_nonce }}"' in tag, (template.name, tag)
        assert not re.search(r"\s(on[a-z]+|hx-on[:\w-]*)=", text), template.name  # handlers
    chart = charts.segment_chart({"segments": {"high": {"count": 3, "share": 0.5}}})
    assert "<script" not in chart and 'data-chart="{' in chart
    reason = {"text": '"><script>x</script>', "direction": "raises risk", "contribution": 0.2}
    hostile = charts.reasons_chart([reason])
    assert "<script" not in hostile


def test_htmx_evaluates_no_code(site):
    client, _ = site
    page = client.get("/auth/login").text
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1))
    assert config["allowEval"] is False and config["allowScriptTags"] is False


def test_the_api_documentation_allows_its_own_inline_script_by_digest(site):
    client, _ = site
    docs = client.get("/docs")
    policy = _directives(docs.headers["content-security-policy"])
    (script,) = re.findall(rb"<script>(.*?)</script>", docs.content, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    assert policy["script-src"] == f"https://cdn.jsdelivr.net 'sha256-{digest}'"
    assert policy["frame-ancestors"] == "'none'" and policy["connect-src"] == "'self'"
    assert docs.headers["content-length"] == str(len(docs.content))


def test_the_drift_report_runs_sandboxed(site):
    from tasks.adapters import report_store

    client, settings = site
    html = Path(settings.reports_dir) / "monitoring" / "2026-12-01" / "drift_report.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text("<html><body><script>document.title = 'drift'</script></body></html>")
    uri = report_store.publish(settings, html)
    page_login(client, "csp-viewer@example.test", "/dashboard/")
    report = client.get("/dashboard/model/drift-report", params={"uri": uri})
    assert report.status_code == 200
    policy = _directives(report.headers["content-security-policy"])
    assert policy["sandbox"].split() == ["allow-scripts", "allow-popups", "allow-downloads"]
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
