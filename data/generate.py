"""Synthetic customers with the IBM Telco churn schema, for tests, demos and benchmarks."""

from __future__ import annotations

import operator
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
]
INTERNET = ("DSL", "Fiber optic", "No")
CONTRACTS = ("Month-to-month", "One year", "Two year")
PAYMENTS = (
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
)
# Add-on: (P(Yes) for DSL, P(Yes) for fiber, monthly price, churn logit effect when taken).
ADDONS = {
    "OnlineSecurity": (0.49, 0.27, 5.0, -0.45),
    "OnlineBackup": (0.45, 0.43, 5.0, -0.15),
    "DeviceProtection": (0.44, 0.44, 5.0, -0.05),
    "TechSupport": (0.49, 0.28, 5.0, -0.45),
    "StreamingTV": (0.40, 0.57, 10.0, 0.15),
    "StreamingMovies": (0.41, 0.57, 10.0, 0.15),
}
_TENURE_BETA = np.array([[0.53, 1.59], [1.44, 1.04], [1.26, 0.34]])  # per contract
_PAYMENT_BY_CONTRACT = np.array(
    [[0.47, 0.23, 0.15, 0.15], [0.18, 0.23, 0.29, 0.30], [0.09, 0.23, 0.33, 0.35]]
)
_PAYMENT_BY_INTERNET = np.array([[1.0, 1.0, 1.0, 1.0], [1.5, 0.4, 1.0, 1.0], [0.3, 2.3, 1.0, 1.0]])
_ID_LETTERS = 26**5


@dataclass(frozen=True)
class _Population:
    senior: float
    internet: tuple[tuple[float, float, float], tuple[float, float, float]]  # non-senior, senior
    month_to_month: float  # extra logit towards month-to-month contracts
    tenure_scale: float
    price: float  # multiplier on list prices
    echeck: float  # multiplier on the electronic-check weight


_BASELINE = _Population(0.162, ((0.37, 0.38, 0.25), (0.23, 0.72, 0.05)), 0.0, 1.0, 1.0, 1.0)
_DRIFTED = _Population(0.25, ((0.27, 0.58, 0.15), (0.15, 0.82, 0.03)), 0.8, 0.7, 1.12, 1.6)


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one category index per row from row-wise (unnormalised) probabilities."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def _labels(values: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    """Map integer codes to shared string objects (one pointer per cell, not one string)."""
    return np.array(values, dtype=object)[codes.astype(np.intp)]


def customer_ids(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Unique ids shaped like "1234-ABCDE": 4 digits, a dash and 5 uppercase letters."""
    codes = rng.choice(10_000 * _ID_LETTERS, size=rows, replace=False)
    chars = np.empty((rows, 10), dtype=np.uint8)
    digits, letters = np.divmod(codes, _ID_LETTERS)
    for pos in range(4):
        digits, chars[:, 3 - pos] = np.divmod(digits, 10)
    chars[:, :4] += ord("0")
    chars[:, 4] = ord("-")
    for pos in range(5):
        letters, chars[:, 9 - pos] = np.divmod(letters, 26)
    chars[:, 5:] += ord("A")
    return chars.view("S10").ravel().astype("U10").astype(object)


def _money_text(amount: np.ndarray) -> np.ndarray:
    """Format amounts like the real file: 5-cent steps, trailing zeros dropped ("84", "1889.5")."""
    whole, cents = np.divmod(np.round(amount * 20).astype(np.int64) * 5, 100)
    suffix = np.array([""] + [f".{c:02d}".rstrip("0") for c in range(1, 100)])
    return np.strings.add(whole.astype(np.int32).astype(str), suffix[cents]).astype(object)


def generate_customers(rows: int, seed: int, drift: bool = False) -> pd.DataFrame:
    """Return `rows` synthetic customers with the Telco schema; same arguments, same frame.

    `drift=True` draws a shifted population (more month-to-month and fiber, pricier, newer).
    """
    n = operator.index(rows)
    if n < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    pop = _DRIFTED if drift else _BASELINE
    rng = np.random.default_rng(seed)
    ids = customer_ids(rng, n)
    male = rng.random(n) < 0.505
    senior = rng.random(n) < pop.senior
    partner = rng.random(n) < 0.483
    dependents = rng.random(n) < np.where(partner, 0.51, 0.10)
    internet = _pick(rng, np.array(pop.internet)[senior.astype(int)])
    dsl, fiber, offline = internet == 0, internet == 1, internet == 2

    one_year = -1.05 + 0.6 * partner - 0.45 * fiber - 0.3 * senior
    two_year = -1.05 + 0.95 * partner - 0.8 * fiber + 0.7 * offline - 0.5 * senior
    contract = _pick(
        rng, np.exp(np.column_stack([np.full(n, pop.month_to_month), one_year, two_year]))
    )
    beta = _TENURE_BETA[contract]
    tenure = np.minimum(1 + np.floor(rng.beta(beta[:, 0], beta[:, 1]) * 72 * pop.tenure_scale), 72)
    tenure[(contract > 0) & (rng.random(n) < 0.004)] = 0  # signed a contract, not billed yet
    tenure = tenure.astype(np.int64)
    loyalty = tenure / 72 - 0.45  # long-standing customers take more services

    phone = ~dsl | (rng.random(n) >= 0.28)
    multi = phone & (rng.random(n) < np.choose(internet, [0.40, 0.63, 0.22]) + 0.3 * loyalty)
    price = 20.0 * phone + 5.0 * multi + 25.0 * dsl + 50.0 * fiber
    logit = -0.85 + 0.65 * fiber - 0.6 * offline + 0.3 * senior - 0.15 * dependents
    addons = {}
    for name, (p_dsl, p_fiber, fee, effect) in ADDONS.items():
        taken = ~offline & (rng.random(n) < np.where(fiber, p_fiber, p_dsl) + 0.25 * loyalty)
        price += fee * taken
        logit += effect * taken
        addons[name] = _labels(("No", "Yes", "No internet service"), taken + 2 * offline)
    paperless = rng.random(n) < np.choose(internet, [0.55, 0.77, 0.29])
    weights = _PAYMENT_BY_CONTRACT[contract] * _PAYMENT_BY_INTERNET[internet]
    weights[:, 0] *= pop.echeck
    payment = _pick(rng, weights)
    monthly = price * pop.price + rng.normal(0, 1.0, n)
    monthly = np.maximum(np.round(np.round(monthly * 20) / 20, 2), 18.25)  # 5-cent steps
    total = tenure * monthly * (1 + (tenure > 1) * rng.normal(0, 0.05, n))
    total_text = np.where(tenure == 0, " ", _money_text(np.maximum(total, monthly)))

    logit += np.choose(contract, [0.0, -0.9, -1.8]) - 1.4 * tenure / 72 + 0.7 * (tenure <= 6)
    logit += 0.45 * (payment == 0) + 0.3 * paperless + 0.01 * (monthly - 65)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    yes_no = ("No", "Yes")
    columns = {
        "customerID": ids,
        "gender": _labels(("Female", "Male"), male),
        "SeniorCitizen": senior.astype(np.int64),
        "Partner": _labels(yes_no, partner),
        "Dependents": _labels(yes_no, dependents),
        "tenure": tenure,
        "PhoneService": _labels(yes_no, phone),
        "MultipleLines": _labels(("No", "Yes", "No phone service"), multi + 2 * ~phone),
        "InternetService": _labels(INTERNET, internet),
        **addons,
        "Contract": _labels(CONTRACTS, contract),
        "PaperlessBilling": _labels(yes_no, paperless),
        "PaymentMethod": _labels(PAYMENTS, payment),
        "MonthlyCharges": monthly,
        "TotalCharges": total_text.astype(object),
        "Churn": _labels(yes_no, churn),
    }
    return pd.DataFrame(columns, columns=COLUMNS, copy=False)  # fresh arrays: no copy needed


def write_customers(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write `frame` to CSV, or Parquet for a .parquet path, atomically; return the path.

    A temporary file in the same folder is renamed over the target: no half-written file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if target.suffix.lower() == ".parquet":
                frame.to_parquet(handle, index=False)
            else:  # %.15g prints 2-decimal floats like the real file: 84 and 29.85, not 84.0
                frame.to_csv(handle, index=False, float_format="%.15g")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
