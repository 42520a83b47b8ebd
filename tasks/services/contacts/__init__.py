"""The contacts use cases: import contacts, honour an unsubscribe, who a campaign may reach."""

from tasks.services.contacts.preferences import (
    Unsubscribed,
    check_unsubscribe,
    import_contacts,
    reachable_pairs,
    unsubscribe,
)

__all__ = ["Unsubscribed", "check_unsubscribe", "import_contacts", "reachable_pairs", "unsubscribe"]
