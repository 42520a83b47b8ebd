"""Customers and their scores: the customers list and one customer, the KPI snapshots behind
the overview and the heatmaps. The API and the pages call these use cases alike."""

from tasks.services.customers.commands import (
    SORTS,
    CustomerFilter,
    CustomerList,
    CustomerQuery,
    CustomerRef,
    CustomerView,
    Heatmaps,
    Overview,
    customer_filter,
    probability_bound,
)
from tasks.services.customers.export import count_customers, export_customers
from tasks.services.customers.figures import (
    NO_SNAPSHOT,
    heatmaps,
    latest_kpis,
    legacy_kpi_figures,
    overview,
)
from tasks.services.customers.listing import (
    customer_detail,
    customer_view,
    legacy_clients,
    list_customers,
)

__all__ = [
    "NO_SNAPSHOT",
    "SORTS",
    "CustomerFilter",
    "CustomerList",
    "CustomerQuery",
    "CustomerRef",
    "CustomerView",
    "Heatmaps",
    "Overview",
    "count_customers",
    "customer_detail",
    "customer_filter",
    "customer_view",
    "export_customers",
    "heatmaps",
    "latest_kpis",
    "legacy_clients",
    "legacy_kpi_figures",
    "list_customers",
    "overview",
    "probability_bound",
]
