"""The reference notebook's Customer 360 analysis, in plain pandas, over the five seed CSVs.

This is an *independent* second implementation of the business rules, written the
notebook's way (read_csv, merge, groupby), so tests can compare the GraphQL service (and
``customer360.insights``) against it. It must not import ``customer360.insights``.

Differences from the notebook, all deliberate:

- account types are normalised (``.str.lower()``) before the cross-sell rules compare
  them, so "no investment account", "no credit card" and "only checking" mean what they
  say (the notebook compared upper-case names with lower-case data);
- ids, zip codes and phone numbers are read as strings (``dtype=str``), so ``"02139"``
  stays ``"02139"``;
- shared addresses / phones are grouped by ``address_id`` / ``phone_id`` over the
  person-address / person-phone link rows and count distinct persons;
- the average transaction is reported to the cent (half to even), and rules compare that;
- money is float, as in the notebook; sums are rounded to 6 decimal places to shed binary
  noise before a threshold is compared, and callers compare results at cent precision.

Thresholds are hard-coded to the notebook's values: this is the notebook's logic.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

PERSONS = "aml_data_persons.csv"
ACCOUNTS = "aml_data_accounts.csv"
ADDRESSES = "aml_data_addresses.csv"
PHONES = "aml_data_phones.csv"
TRANSACTIONS = "aml_data_transactions.csv"

TIERS = ("PREMIUM", "GOLD", "SILVER", "BRONZE")
RISK_LEVELS = ("HIGH", "MEDIUM", "LOW")
_NOISE_PLACES = 6


def _read(data_dir: str | Path, name: str) -> pd.DataFrame:
    return pd.read_csv(Path(data_dir) / name, dtype=str, keep_default_na=False)


def _persons(data_dir) -> pd.DataFrame:
    return _read(data_dir, PERSONS)


def _accounts(data_dir) -> pd.DataFrame:
    accounts = _read(data_dir, ACCOUNTS).rename(columns={"owner_person_id": "person_id"})
    accounts["balance"] = accounts["balance"].astype(float)
    accounts["account_type"] = (
        accounts["account_type"].str.strip().str.lower().str.replace(r"[- ]", "_", regex=True)
    )
    return accounts


def _transactions(data_dir) -> pd.DataFrame:
    txns = _read(data_dir, TRANSACTIONS)
    txns["amount"] = txns["amount"].astype(float)
    return txns


def _cents_half_even(volume: float, n: int) -> float:
    if n == 0:
        return 0.0
    exact = Decimal(repr(volume)) / n
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def customer_table(data_dir: str | Path) -> pd.DataFrame:
    """One row per person (indexed by person_id): the notebook's metrics, segment, risk and
    cross-sell recommendations, plus the sorted normalised account types."""
    persons = _persons(data_dir)
    accounts = _accounts(data_dir)
    txns = _transactions(data_dir)

    per_person = accounts.groupby("person_id").agg(
        num_accounts=("account_id", "size"),
        total_balance=("balance", "sum"),
    )
    # Transactions sent from a person's accounts: attach the sender's owner.
    sent = txns.merge(
        accounts[["account_id", "person_id"]], left_on="from_account_id", right_on="account_id", how="inner"
    )
    per_sender = sent.groupby("person_id").agg(
        num_transactions=("transaction_id", "size"),
        total_volume=("amount", "sum"),
    )
    types = accounts.groupby("person_id")["account_type"].agg(lambda s: tuple(sorted(set(s))))

    table = persons[["person_id"]].drop_duplicates().set_index("person_id")
    table = table.join(per_person).join(per_sender)
    table["num_accounts"] = table["num_accounts"].fillna(0).astype(int)
    table["num_transactions"] = table["num_transactions"].fillna(0).astype(int)
    table["total_balance"] = table["total_balance"].fillna(0.0).round(_NOISE_PLACES)
    table["total_volume"] = table["total_volume"].fillna(0.0).round(_NOISE_PLACES)
    table["avg_transaction"] = [
        _cents_half_even(v, n) for v, n in zip(table["total_volume"], table["num_transactions"])
    ]
    table["account_types"] = [types.get(pid, ()) for pid in table.index]

    balance, n_txns = table["total_balance"], table["num_transactions"]
    table["segment"] = np.select(
        [
            (balance > 100000) & (n_txns > 50),
            (balance > 50000) | (n_txns > 30),
            (balance > 10000) | (n_txns > 10),
        ],
        ["PREMIUM", "GOLD", "SILVER"],
        default="BRONZE",
    )

    table["risk_score"] = (
        np.where(table["total_volume"] > 100000, 20, 0)
        + np.where(n_txns > 50, 15, 0)
        + np.where(table["avg_transaction"] > 5000, 10, 0)
        + np.where(table["num_accounts"] > 3, 10, 0)
    ).astype(int)
    table["risk_level"] = np.select(
        [table["risk_score"] >= 40, table["risk_score"] >= 20], ["HIGH", "MEDIUM"], default="LOW"
    )

    def recommend(row) -> tuple[str, ...]:
        found = []
        if row["total_balance"] > 50000 and "investment" not in row["account_types"]:
            found.append("INVESTMENT_ACCOUNT")
        if row["num_transactions"] > 30 and "credit_card" not in row["account_types"]:
            found.append("CREDIT_CARD")
        if row["account_types"] == ("checking",):
            found.append("SAVINGS_ACCOUNT")
        return tuple(found)

    table["recommendations"] = [recommend(row) for _, row in table.iterrows()]
    return table[
        [
            "num_accounts",
            "total_balance",
            "num_transactions",
            "total_volume",
            "avg_transaction",
            "segment",
            "risk_score",
            "risk_level",
            "recommendations",
            "account_types",
        ]
    ]


def _shared(links: pd.DataFrame, key: str, minimum: int) -> dict[str, list[str]]:
    groups = links.groupby(key)["person_id"].agg(lambda s: sorted(set(s)))
    return {k: v for k, v in groups.items() if len(v) >= minimum}


def shared_addresses(data_dir: str | Path, min_residents: int = 2) -> dict[str, list[str]]:
    """address_id -> sorted distinct person_ids, for addresses with at least ``min_residents``."""
    return _shared(_read(data_dir, ADDRESSES), "address_id", min_residents)


def shared_phones(data_dir: str | Path, min_owners: int = 2) -> dict[str, list[str]]:
    """phone_id -> sorted distinct person_ids, for phones with at least ``min_owners``."""
    return _shared(_read(data_dir, PHONES), "phone_id", min_owners)


def top_counterparties(data_dir: str | Path, n: int = 10) -> list[tuple[str, int, float, int]]:
    """The ``n`` most active receiving accounts: (account_id, transactions received, volume
    received rounded to the cent, distinct sending accounts), by count desc, then volume
    desc, then account_id asc."""
    txns = _transactions(data_dir)
    received = (
        txns.groupby("to_account_id")
        .agg(
            transaction_count=("transaction_id", "size"),
            volume=("amount", "sum"),
            distinct_senders=("from_account_id", "nunique"),
        )
        .reset_index()
    )
    received["volume"] = received["volume"].round(2)
    received = received.sort_values(
        ["transaction_count", "volume", "to_account_id"], ascending=[False, False, True]
    ).head(n)
    return [
        (str(r.to_account_id), int(r.transaction_count), float(r.volume), int(r.distinct_senders))
        for r in received.itertuples(index=False)
    ]


def shared_counterparty_count(data_dir: str | Path) -> int:
    """Receiving accounts with more than one distinct sending account (the notebook's
    'Shared Counterparties')."""
    senders = _transactions(data_dir).groupby("to_account_id")["from_account_id"].nunique()
    return int((senders > 1).sum())


def portfolio(data_dir: str | Path) -> dict:
    """The notebook's dashboard (section 10) as numbers; money rounded to the cent."""
    persons = _persons(data_dir)
    accounts = _accounts(data_dir)
    txns = _transactions(data_dir)
    table = customer_table(data_dir)

    customers = len(persons)
    total_balance = float(accounts["balance"].sum())
    total_volume = float(txns["amount"].sum())
    segments = {
        tier: (int((table["segment"] == tier).sum()), round(float(table.loc[table["segment"] == tier, "total_balance"].sum()), 2))
        for tier in TIERS
    }
    risk_levels = {level: int((table["risk_level"] == level).sum()) for level in RISK_LEVELS}
    return {
        "customers": customers,
        "accounts": len(accounts),
        "total_balance": round(total_balance, 2),
        "avg_balance_per_customer": round(total_balance / customers, 2) if customers else 0.0,
        "transactions": len(txns),
        "total_volume": round(total_volume, 2),
        "avg_transaction": round(total_volume / len(txns), 2) if len(txns) else 0.0,
        "segments": segments,
        "risk_levels": risk_levels,
        "cross_sell_opportunities": int((table["recommendations"].map(len) > 0).sum()),
        "shared_addresses": len(shared_addresses(data_dir)),
        "shared_phones": len(shared_phones(data_dir)),
        "shared_counterparties": shared_counterparty_count(data_dir),
    }
