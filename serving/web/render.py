"""Server-rendered pages: Jinja2 templates, and static assets under versioned names.

Assets are our own files (serving/web/static) and what installed packages ship (plotly.min.js
from plotly, htmx.min.js from django-js-lib-htmx): nothing is fetched from the internet. An
asset's URL carries a digest of its content, so browsers may keep it forever; pages themselves
are never cached."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from serving.security_headers import NONCE
from serving.sessions import SESSION, LoginRequired, PageForbidden, login_path
from tasks import i18n
from tasks.i18n import formatting
from tasks.i18n.words import word_in, written_by_in

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
NO_STORE = {"Cache-Control": "no-store"}
FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}


def asset_files() -> dict[str, Path]:
    """Every asset a page may load, by name."""
    import js_lib_htmx
    import plotly

    files = {path.name: path for path in STATIC.iterdir() if path.is_file()}
    files["plotly.min.js"] = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    files["htmx.min.js"] = Path(js_lib_htmx.__file__).parent / "static" / "htmx" / "htmx.min.js"
    return files


class Assets:
    def __init__(self, files: dict[str, Path]):
        self.files = files
        self.versions = {
            name: hashlib.sha256(path.read_bytes()).hexdigest()[:12] for name, path in files.items()
        }

    def url(self, name: str) -> str:
        return f"/static/{self.versions[name]}/{name}"

    def response(self, version: str, name: str) -> FileResponse:
        if self.versions.get(name) != version:
            raise HTTPException(404, "no such asset")
        return FileResponse(self.files[name], headers=FOREVER)


# Jinja's newstyle gettext fills in `%(name)s` itself: these only look the text up
@pass_context
def _gettext(context: Any, message: str) -> str:
    return i18n.translations(context.get("lang", i18n.DEFAULT_LANGUAGE)).ugettext(message)


@pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    catalogue = i18n.translations(context.get("lang", i18n.DEFAULT_LANGUAGE))
    return catalogue.ungettext(singular, plural, n)


@pass_context
def word_filter(context: Any, value: Any) -> Any:
    """A stored word (role, status, segment...) in the page's language; other values as is."""
    return word_in(context.get("lang", i18n.DEFAULT_LANGUAGE), value)


@pass_context
def written_by_filter(context: Any, path: Any) -> Any:
    """How a message was written ("template: no-key") in the page's language: the way as a
    stored word, the templates' reason when it is a known one."""
    return written_by_in(context.get("lang", i18n.DEFAULT_LANGUAGE), path)


@pass_context
def offer_name_filter(context: Any, key: Any) -> Any:
    """A campaign's offer as customers read its name, in the page's language (the catalogue
    is the context's `offers`); its catalogue key when the catalogue no longer has it."""
    spec = (context.get("offers") or {}).get(key)
    return spec.name_in(key, context.get("lang", i18n.DEFAULT_LANGUAGE)) if spec else key


def _in_language(format_value: Any) -> Any:
    @pass_context
    def apply(context: Any, value: Any, *args: Any) -> str:
        return format_value(value, context.get("lang", i18n.DEFAULT_LANGUAGE), *args)

    return apply


@pass_context
def money_filter(context: Any, value: Any, currency: str, digits: int = 0) -> str:
    """`{{ amount | money(currency) }}`: the currency comes before the page language."""
    language = context.get("lang", i18n.DEFAULT_LANGUAGE)
    return formatting.format_money(value, currency, language, digits)


def language_of(request: Request, session: Any = None) -> str:
    """The user's chosen language, else the deployment's default, else the browser's."""
    user = getattr(session, "user", None) or {}
    settings = getattr(request.app.state.serving, "settings", None)
    return i18n.choose_language(
        user.get("language"),
        getattr(settings, "default_language", None),
        request.headers.get("accept-language"),
    )


def day_of(request: Request, session: Any = None) -> Any:
    """The `day` filter as a function, for what pages draw in Python (the charts' dates)."""
    language = language_of(request, session)
    return lambda value: formatting.format_date(value, language)


def translator(request: Request, session: Any = None) -> i18n.Translator:
    """`_("text", name=value)` in the page's language, for what a route writes itself
    (notices, headings); the catalogue tests extract these calls."""
    return i18n.Translator(language_of(request, session))


def error_text(request: Request, session: Any, error: Exception) -> str:
    """A typed error's message in the page's language."""
    return i18n.translate_error(error, language_of(request, session))


class Pages:
    """The templates with what every page needs (assets, the session, notices, the
    language: `{{ _("text") }}` translates, `number`, `signed`, `percent`, `money`, `day`,
    `moment` format, `word` translates a stored word such as a role or a status, `written_by`
    how a message was written, `offer_name` an offer of the context's `offers`)."""

    def __init__(self, assets: Assets):
        self.assets = assets
        self.templates = Jinja2Templates(directory=TEMPLATES)
        env = self.templates.env
        env.add_extension("jinja2.ext.i18n")
        env.globals["asset"] = assets.url
        env.globals["language_names"] = i18n.LANGUAGE_NAMES
        env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.filters["number"] = _in_language(formatting.format_number)
        env.filters["percent"] = _in_language(formatting.format_percent)
        env.filters["money"] = money_filter
        env.filters["day"] = _in_language(formatting.format_date)
        env.filters["moment"] = _in_language(formatting.format_moment)
        env.filters["signed"] = _in_language(formatting.format_signed)
        env.filters["word"] = word_filter
        env.filters["written_by"] = written_by_filter
        env.filters["offer_name"] = offer_name_filter

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("session", None)
        context.setdefault("messages", [])
        context.setdefault("lang", language_of(request, context["session"]))
        context["csp_nonce"] = request.scope.get(NONCE, "")  # for an inline <script nonce=...>
        return self.templates.TemplateResponse(
            request, template, context, status_code=status, headers=NO_STORE
        )


def pages_of(request: Request) -> Pages:
    return request.app.state.pages


def confirm_page(
    request: Request,
    session: Any,
    *,
    heading: str,
    text: str,
    action: str,
    button: str,
    back: str,
    fields: dict[str, str] | None = None,
) -> HTMLResponse:
    """The step before a dangerous action: what it does, and a form posting it again with
    `confirmed=yes` (no script: it works wherever a form does)."""
    return pages_of(request).render(
        request,
        "confirm.html",
        session=session,
        heading=heading,
        text=text,
        action=action,
        button=button,
        back=back,
        fields=fields or {},
    )


async def login_required(request: Request, exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(login_path(exc.next_path), status_code=303, headers=NO_STORE)


async def page_forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
    """The refusal inside the dashboard's frame: the user's navigation and Log out stay."""
    session = request.scope.get(SESSION)
    language = language_of(request, session)
    return pages_of(request).render(
        request,
        "message.html",
        status=403,
        heading=i18n.gettext(language, "Not allowed"),
        text=i18n.gettext(language, exc.message, **i18n.words_in(language, exc.values)),
        session=session,
        lang=language,
        active=None,
    )
