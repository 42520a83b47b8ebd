"""The contacts use cases: import contacts, honour an unsubscribe, who a campaign may reach."""

from tasks.services.contacts.preferences import (
    Unsubscribed,
    import_contacts,
    reachable_pairs,
    unsubscribe,
)

__all__ = ["Unsubscribed", "import_contacts", "reachable_pairs", "unsubscribe"]
