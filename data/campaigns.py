"""Simulated retention campaigns on scored customers, with known true lift and uplift.

Every customer has a hidden type, drawn per campaign from probabilities fixed by the rules
below (parameters decided up front, before any model is fit, and never tuned to a result):

- persuadable: leaves unless contacted, stays if contacted;
- sure thing: stays either way;
- lost cause: leaves either way;
- sleeping dog: stays unless contacted, leaves because contacted.

"Contacted" means the message was delivered to a treated customer. Without contact a customer
leaves with their churn_probability, so P(persuadable) + P(lost cause) = churn_probability:

    P(persuadable) = churn_probability x persuadable_share[risk segment] x contract factor
    P(sleeping dog) = (1 - churn_probability) x sleeping_dog_share[risk segment]
                      x (1 + sleeping_dog_tenure x tenure / 72)

Persuadables are concentrated among medium-risk customers (high-risk customers have mostly
decided, low-risk ones rarely need persuading), as retention studies report; month-to-month
customers, free to leave or stay, are the most movable. Sleeping dogs are long-standing
low-risk customers whom a contact reminds to shop around. A customer's true uplift is
delivery_rate x (P(persuadable) - P(sleeping dog)); a campaign's true lift is its mean over
the customers (the expected treated-minus-holdout retention under random assignment).

Treated customers go through a funnel: delivered, opened, clicked (each given the previous
step), then accepted the offer with a probability that depends on the hidden type (sure things
gladly take a discount they did not need). NO_UPLIFT is the setting where a contact changes
nothing: no persuadables and no sleeping dogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
SEGMENTS = ("high", "medium", "low")
CONTRACTS = ("Month-to-month", "One year", "Two year")
MAX_TENURE = 72.0
# Mixed into every seed, so the simulator's draws never repeat a caller's stream drawn from the
# same seed (a treated mask from default_rng(0) would otherwise line up with the types).
_STREAM = 0xCA4A16


@dataclass(frozen=True)
class CampaignParameters:
    """The simulator's fixed truth. Shares are per risk segment (high, medium, low)."""

    # share of would-be churners who stay only if contacted
    persuadable_share: tuple[float, float, float] = (0.05, 0.50, 0.20)
    # multiplier on the persuadable share per contract (month-to-month, one year, two year)
    persuadable_contract: tuple[float, float, float] = (1.0, 0.6, 0.3)
    # share of would-be stayers who leave because contacted
    sleeping_dog_share: tuple[float, float, float] = (0.0, 0.01, 0.02)
    sleeping_dog_tenure: float = 1.0  # extra sleeping-dog share at 72 months of tenure
    delivery_rate: float = 0.95
    open_rate: float = 0.50  # given delivered
    click_rate: float = 0.40  # given opened
    # P(accept | clicked) per type (persuadable, sure thing, lost cause, sleeping dog)
    acceptance: tuple[float, float, float, float] = (0.70, 0.30, 0.10, 0.0)
    horizon_months: int = 12  # value over the horizon = monthly value x horizon_months


DEFAULT = CampaignParameters()
NO_UPLIFT = replace(DEFAULT, persuadable_share=(0.0, 0.0, 0.0), sleeping_dog_share=(0.0, 0.0, 0.0))


@dataclass(frozen=True)
class Campaign:
    """One simulated campaign: per-customer events and the known truth."""

    events: pd.DataFrame  # customer_id, treated, delivered, opened, clicked, accepted,
    # retained, true_type, true_uplift, value (value over the horizon, when given)
    true_lift: float  # mean true uplift over all customers
    treated_true_lift: float  # mean true uplift over the treated customers
    true_acceptance_rate: float  # expected share of treated customers who accept
    parameters: CampaignParameters = field(repr=False)


@dataclass(frozen=True)
class CampaignBatch:
    """Many campaigns on the same customers: arrays campaigns x customers."""

    treated: np.ndarray
    retained: np.ndarray
    accepted: np.ndarray
    true_lift: float
    true_acceptance_rate: float
    value: np.ndarray | None  # per customer, over the horizon

    @property
    def treated_n(self) -> np.ndarray:
        return self.treated.sum(axis=1)

    @property
    def holdout_n(self) -> np.ndarray:
        return (~self.treated).sum(axis=1)

    @property
    def treated_retained(self) -> np.ndarray:
        return (self.retained & self.treated).sum(axis=1)

    @property
    def holdout_retained(self) -> np.ndarray:
        return (self.retained & ~self.treated).sum(axis=1)

    def group(self, values: np.ndarray, treated: bool) -> np.ndarray:
        """Per-customer `values` (campaigns x customers, or per customer) of one group, as
        campaigns x group size (every campaign has the same group sizes)."""
        mask = self.treated if treated else ~self.treated
        sizes = mask.sum(axis=1)
        if len(np.unique(sizes)) != 1:
            raise ValueError("campaigns differ in group size")
        full = np.broadcast_to(values, mask.shape)
        return full[mask].reshape(len(mask), int(sizes[0]))


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([_STREAM, seed])


def _lookup(column: pd.Series, labels: tuple[str, ...], name: str) -> np.ndarray:
    text = column.astype(str).str.strip().to_numpy()
    codes = np.full(len(text), -1)
    for code, label in enumerate(labels):
        codes[text == label] = code
    if (codes < 0).any():
        raise ValueError(f"{name} holds values outside {list(labels)}")
    return codes


def type_probabilities(
    customers: pd.DataFrame, parameters: CampaignParameters = DEFAULT
) -> np.ndarray:
    """customers x 4 probabilities of the hidden types, in the order of TYPES."""
    missing = [
        c
        for c in ("churn_probability", "risk_segment", "Contract", "tenure")
        if c not in customers.columns
    ]
    if missing:
        raise ValueError(f"customers lack columns: {missing}")
    churn = customers["churn_probability"].to_numpy(dtype=float)
    if np.isnan(churn).any() or (churn < 0).any() or (churn > 1).any():
        raise ValueError("churn_probability must lie in [0, 1] for every customer")
    segment = _lookup(customers["risk_segment"], SEGMENTS, "risk_segment")
    contract = _lookup(customers["Contract"], CONTRACTS, "Contract")
    tenure = np.clip(customers["tenure"].to_numpy(dtype=float), 0.0, MAX_TENURE)
    persuadable_share = np.asarray(parameters.persuadable_share)[segment]
    persuadable_share *= np.asarray(parameters.persuadable_contract)[contract]
    dog_share = np.asarray(parameters.sleeping_dog_share)[segment]
    dog_share *= 1.0 + parameters.sleeping_dog_tenure * tenure / MAX_TENURE
    persuadable = churn * np.clip(persuadable_share, 0.0, 1.0)
    dog = (1.0 - churn) * np.clip(dog_share, 0.0, 1.0)
    return np.column_stack([persuadable, 1.0 - churn - dog, churn - persuadable, dog])


def true_uplift(customers: pd.DataFrame, parameters: CampaignParameters = DEFAULT) -> np.ndarray:
    """P(retained | treated) - P(retained | holdout) per customer."""
    probs = type_probabilities(customers, parameters)
    return parameters.delivery_rate * (probs[:, 0] - probs[:, 3])


def _acceptance_rate(probs: np.ndarray, parameters: CampaignParameters) -> np.ndarray:
    funnel = parameters.delivery_rate * parameters.open_rate * parameters.click_rate
    return funnel * probs @ np.asarray(parameters.acceptance)


def _outcomes(
    probs: np.ndarray, treated: np.ndarray, rng: np.random.Generator, p: CampaignParameters
) -> dict[str, np.ndarray]:
    """Draw types and events for treated masks of shape campaigns x customers (or customers)."""
    cumulative = np.cumsum(probs, axis=1)[:, :-1]
    kind = (rng.random(treated.shape)[..., None] >= cumulative).sum(axis=-1)
    delivered = treated & (rng.random(treated.shape) < p.delivery_rate)
    opened = delivered & (rng.random(treated.shape) < p.open_rate)
    clicked = opened & (rng.random(treated.shape) < p.click_rate)
    accepted = clicked & (rng.random(treated.shape) < np.asarray(p.acceptance)[kind])
    retained = (kind == 1) | ((kind == 0) & delivered) | ((kind == 3) & ~delivered)
    return {
        "kind": kind,
        "delivered": delivered,
        "opened": opened,
        "clicked": clicked,
        "accepted": accepted,
        "retained": retained,
    }


def _values(customers: pd.DataFrame, column: str | None, p: CampaignParameters) -> Any:
    if column is None:
        return None
    monthly = customers[column].to_numpy(dtype=float)
    if np.isnan(monthly).any():
        raise ValueError(f"{column} is missing for some customers")
    return monthly * p.horizon_months


def simulate_campaign(
    customers: pd.DataFrame,
    treated: Any,
    seed: int,
    parameters: CampaignParameters = DEFAULT,
    value_column: str | None = None,
) -> Campaign:
    """One campaign: `treated` marks the contacted customers, the rest are the holdout.

    `customers` needs customer_id, churn_probability, risk_segment, Contract and tenure;
    `value_column` (monthly value) adds each customer's value over the horizon."""
    mask = np.asarray(treated, dtype=bool)
    if mask.shape != (len(customers),):
        raise ValueError(f"treated mask has shape {mask.shape} for {len(customers)} customers")
    probs = type_probabilities(customers, parameters)
    uplift = parameters.delivery_rate * (probs[:, 0] - probs[:, 3])
    drawn = _outcomes(probs, mask, _rng(seed), parameters)
    events = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "treated": mask,
            **{k: drawn[k] for k in ("delivered", "opened", "clicked", "accepted", "retained")},
            "true_type": np.array(TYPES, dtype=object)[drawn["kind"]],
            "true_uplift": uplift,
        }
    )
    value = _values(customers, value_column, parameters)
    if value is not None:
        events["value"] = value
    accept = _acceptance_rate(probs, parameters)
    return Campaign(
        events=events,
        true_lift=float(uplift.mean()),
        treated_true_lift=float(uplift[mask].mean()) if mask.any() else float("nan"),
        true_acceptance_rate=float(accept[mask].mean()) if mask.any() else float("nan"),
        parameters=parameters,
    )


def simulate_campaigns(
    customers: pd.DataFrame,
    campaigns: int,
    treated_n: int,
    seed: int,
    parameters: CampaignParameters = DEFAULT,
    value_column: str | None = None,
) -> CampaignBatch:
    """`campaigns` independent campaigns on the same customers, drawn at once.

    Each campaign picks `treated_n` customers at random to contact (the rest are its holdout)
    and draws fresh hidden types and events."""
    n = len(customers)
    if not 0 < treated_n < n:
        raise ValueError(f"treated_n must be between 1 and {n - 1}, got {treated_n}")
    probs = type_probabilities(customers, parameters)
    rng = _rng(seed)
    order = np.argsort(rng.random((campaigns, n)), axis=1)
    treated = np.zeros((campaigns, n), dtype=bool)
    np.put_along_axis(treated, order[:, :treated_n], True, axis=1)
    drawn = _outcomes(probs, treated, rng, parameters)
    uplift = parameters.delivery_rate * (probs[:, 0] - probs[:, 3])
    return CampaignBatch(
        treated=treated,
        retained=drawn["retained"],
        accepted=drawn["accepted"],
        true_lift=float(uplift.mean()),
        true_acceptance_rate=float(_acceptance_rate(probs, parameters).mean()),
        value=_values(customers, value_column, parameters),
    )


def event_table(events: pd.DataFrame) -> pd.DataFrame:
    """Simulated outcomes as the long rows a campaign imports (customer_id, event): each
    treated customer's delivered/opened/clicked/accepted, everyone's retained or churned."""
    rows = [
        pd.DataFrame(
            {
                "customer_id": events.loc[events["treated"] & events[kind], "customer_id"],
                "event": kind,
            }
        )
        for kind in ("delivered", "opened", "clicked", "accepted")
    ]
    rows.append(
        pd.DataFrame(
            {
                "customer_id": events["customer_id"],
                "event": np.where(events["retained"], "retained", "churned"),
            }
        )
    )
    return pd.concat(rows, ignore_index=True)
