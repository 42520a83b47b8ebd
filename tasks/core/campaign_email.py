"""A campaign email's text as the customer reads it: the sender's greeting by first name, the
written message, the offer's button (a real link when the offer has one), and the footer with
the sender's name, postal address and unsubscribe line, all in the message's language.

The language model (or the fallback template) writes only the message itself, from facts
that name no one; the sender adds what is personal or fixed here, so identical prompts can
share one answer. The HTML is escaped from the plain text, never taken from the model.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from tasks.i18n import gettext

BUTTON_STYLE = (
    "display:inline-block;padding:12px 20px;border-radius:6px;background:#1f6feb;"
    "color:#ffffff;text-decoration:none;font-weight:bold"
)


@dataclass(frozen=True)
class Letter:
    """What the sender puts around one written message."""

    language: str  # en | fr: the greeting, button and footer in it
    unsubscribe_url: str
    first_name: str | None = None
    offer_name: str | None = None  # as customers read it, never the catalogue key
    offer_url: str | None = None  # the offer's signed link; none: no button
    sender_name: str | None = None
    postal_address: str | None = None


def greeting(letter: Letter) -> str:
    name = (letter.first_name or "").strip()
    if name:
        return gettext(letter.language, "Hello %(name)s,", name=name)
    return gettext(letter.language, "Hello,")


def button_label(letter: Letter, call_to_action: str | None) -> str:
    """The written call to action, else the fixed one."""
    return (call_to_action or "").strip() or gettext(letter.language, "See your offer")


def footer_lines(letter: Letter) -> list[str]:
    sender = [part for part in (letter.sender_name, letter.postal_address) if part]
    lines = [" · ".join(sender)] if sender else []
    lines.append(gettext(letter.language, "You receive this email as our customer."))
    return lines


def unsubscribe_line(letter: Letter) -> str:
    return gettext(
        letter.language,
        "To stop receiving these emails, unsubscribe here: %(url)s",
        url=letter.unsubscribe_url,
    )


def plain_text(body: str, call_to_action: str | None, letter: Letter) -> str:
    """The text/plain part: greeting, message, button as 'label: link', footer."""
    parts = [greeting(letter), body.strip()]
    label = button_label(letter, call_to_action)
    if letter.offer_url:
        offer = f"{letter.offer_name}\n" if letter.offer_name else ""
        link = gettext(letter.language, "%(label)s: %(url)s", label=label, url=letter.offer_url)
        parts.append(f"{offer}{link}")
    footer = "\n".join([*footer_lines(letter), unsubscribe_line(letter)])
    return "\n\n".join(parts) + f"\n\n-- \n{footer}\n"


def _paragraphs(text: str) -> str:
    chunks = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    return "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in chunks)


def html_page(subject: str, body: str, call_to_action: str | None, letter: Letter) -> str:
    """The text/html alternative: every written or personal text escaped, the offer's button a
    link to its signed URL, the unsubscribe link in the footer."""
    lang = html.escape(letter.language, quote=True)
    parts = [f"<p>{html.escape(greeting(letter))}</p>", _paragraphs(body)]
    if letter.offer_url:
        if letter.offer_name:
            parts.append(f"<p><strong>{html.escape(letter.offer_name)}</strong></p>")
        url = html.escape(letter.offer_url, quote=True)
        label = html.escape(button_label(letter, call_to_action))
        parts.append(f'<p><a href="{url}" style="{BUTTON_STYLE}">{label}</a></p>')
    unsubscribe = html.escape(letter.unsubscribe_url, quote=True)
    footer = "<br>\n".join(html.escape(line) for line in footer_lines(letter))
    link = gettext(letter.language, "Unsubscribe")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>\n"
        + "\n".join(parts)
        + f'\n<hr>\n<p style="color:#57606a;font-size:12px">{footer}<br>\n'
        f'<a href="{unsubscribe}">{html.escape(link)}</a></p>\n</body></html>\n'
    )
