"""`make demo`'s emails work on the demo's own server: the demo signs its links with the key
`retainai serve` reads (in development without RETAINAI_SECRET_KEY, the key kept in the state
folder) and points them at where it serves; the served app honours them."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pandas as pd
from serving_helpers import bearer

from flows.demo import served_url
from tasks.services import campaigns, contacts
from tasks.services.campaigns.demo import demo_settings
from tasks.services.context import Context


def test_the_demos_unsubscribe_link_works_on_the_served_app(served, champion, tmp_path):
    settings = champion.settings
    assert settings.secret_key is None and settings.environment == "development"
    assert served.state.settings.secret_key is not None  # the app made the state folder's key
    demo = Context(demo_settings(settings, served_url(settings)))
    config = served.state.config
    answer = served.client.post(
        "/campaigns",
        json={"name": "demo links", "offer": "loyalty-discount", "channels": ["email"]},
        headers=bearer(served.tokens["analyst"]),
    )
    assert answer.status_code == 201, answer.text
    campaign_id = answer.json()["id"]
    members = campaigns.get_campaign(demo, config, campaign_id)
    assert members.audience > 0
    from tasks.adapters import campaign_store as store

    audience = store.audience(demo.engine, campaign_id)
    customer = sorted(audience.loc[audience["arm"] == "treated", "customer_id"])[0]
    contacts.import_contacts(
        demo,
        config,
        pd.DataFrame(
            [
                {
                    "customer_id": customer,
                    "first_name": "Ines",
                    "email": "ines@example.test",
                    "consent_email": "yes",
                    "consent_sms": "no",
                    "language": "fr",
                }
            ]
        ),
    )
    campaigns.generate_messages(demo, config, campaign_id)  # the templates: no key
    campaigns.approve_campaign(demo, config, campaigns.ApproveCampaign(campaign_id, "demo"))
    outbox = tmp_path / "outbox"
    sent = campaigns.send_campaign(demo, config, campaigns.SendCampaign(campaign_id, outbox=outbox))
    assert sent["sent"] >= 1  # other tests of the session may have given contacts too
    letters = [
        message_from_bytes(eml.read_bytes(), policy=policy.default) for eml in outbox.glob("*.eml")
    ]
    (parsed,) = [letter for letter in letters if letter["To"] == "ines@example.test"]
    plain = parsed.get_body(("plain",)).get_content()
    assert plain.startswith("Bonjour Ines,") and "Remise fidélité" in plain
    link = re.search(r"(http://\S+/unsubscribe/\S+)", plain).group(1)
    assert link.startswith(f"{served_url(settings)}/unsubscribe/")  # where `serve` listens
    path = link.removeprefix(served_url(settings))
    page = served.client.get(path)
    assert page.status_code == 200 and "<button" in page.text
    done = served.client.post(path)
    assert done.status_code == 200 and "no more retention messages" in done.text
    blocked = store.suppressed(demo.engine, config.dataset.name)
    assert customer in set(blocked["customer_id"])
