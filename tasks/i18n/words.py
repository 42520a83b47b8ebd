"""The stored words the pages and messages show (roles, risk segments, channels, statuses,
the overview's cards), marked for the catalogues here; a template shows one translated with
`| word`, a typed error's values are translated when they are one of these. A value that is
not (a segment value from the data) is shown as stored."""

from __future__ import annotations

from tasks.i18n import N_

WORDS = frozenset(
    (
        # roles
        N_("viewer"),
        N_("analyst"),
        N_("admin"),
        N_("app"),
        N_("anonymous"),
        # risk segments and campaign arms
        N_("high"),
        N_("medium"),
        N_("low"),
        N_("treated"),
        N_("holdout"),
        # channels
        N_("email"),
        N_("sms"),
        # campaigns, messages and runs
        N_("requested"),
        N_("draft"),
        N_("approved"),
        N_("sending"),
        N_("sent"),
        N_("failed"),
        N_("unknown"),
        N_("bounced"),
        N_("suppressed"),
        N_("running"),
        N_("completed"),
        # outcomes
        N_("delivered"),
        N_("opened"),
        N_("clicked"),
        N_("accepted"),
        N_("retained"),
        N_("churned"),
        # how a message was written
        N_("llm"),
        N_("llm-retry"),
        N_("template"),
        N_("edited"),
        # model promotions
        N_("promote"),
        N_("refuse"),
        N_("rollback"),
        N_("manual"),
        # what a drift check does (configs/schema.py)
        N_("warn"),
        N_("block"),
        N_("retrain"),
        # what the customers list sorts by (tasks/services/customers/commands.py)
        N_("churn probability"),
        N_("lifetime value"),
        N_("monthly value"),
        N_("customer id"),
        # how a campaign's audience is ranked (tasks/services/campaigns/drafting.py)
        N_("churn risk"),
        N_("expected profit"),
        N_("expected uplift"),
        # the data sources (tasks/services/data/sources.py)
        N_("training (RETAINAI_TRAINING_SOURCE)"),
        N_("scoring (RETAINAI_SCORING_SOURCE)"),
        # the overview's cards (tasks/core/dashboard.py) and their notes
        N_("Customers"),
        N_("Churn rate"),
        N_("At risk"),
        N_("Average score"),
        N_("Revenue at risk / month"),
        N_("Average lifetime value"),
        N_("observed"),
        N_("predicted"),
    )
)

# stored codes shown under a name (the lift intervals' methods, tasks/core/lift.py)
NAMES = {
    "newcombe_hybrid_score": N_("Newcombe's hybrid score interval"),
    "pooled_two_proportion_z": N_("pooled two-proportion z interval"),
    "fisher_exact": N_("Fisher's exact test"),
    "percentile_bootstrap": N_("percentile bootstrap"),
}

# Why the fixed templates wrote a message ("template: no-key"), as the pages show it; any
# other reason (a provider's error) is shown as recorded.
TEMPLATE_REASONS = {
    "no-key": N_("no language model key"),
    "budget": N_("the writing budget was spent"),
}


def word_in(language: str, value: object) -> object:
    """A stored word (a role, a status, a segment, a method's code) in `language`; any other
    value as is."""
    from tasks.i18n import translations

    catalogue = translations(language)
    if isinstance(value, str) and value in NAMES:
        return catalogue.ugettext(NAMES[value])
    if isinstance(value, str) and value in WORDS:
        return catalogue.ugettext(value)
    return value


def written_by_in(language: str, path: object) -> object:
    """How a message was written ("template: no-key") in `language`: the way as a stored
    word, with the templates' reason when it is a known one (else as recorded)."""
    from tasks.i18n import translations

    way, _, reason = str(path or "").partition(": ")
    shown = word_in(language, way)
    if not reason:
        return shown
    known = TEMPLATE_REASONS.get(reason)
    return f"{shown} ({translations(language).ugettext(known) if known else reason})"
