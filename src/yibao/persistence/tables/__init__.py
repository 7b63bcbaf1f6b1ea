"""Table modules, one per noun. Importing this package registers every table on ``Base``."""

from yibao.persistence.tables.accounts import Account, JournalEntry, Posting
from yibao.persistence.tables.catalog import CatalogItem
from yibao.persistence.tables.credentials import PersonCredential
from yibao.persistence.tables.hospital import (
    FeeLine,
    FsiMessage,
    SettlementFund,
    SignIn,
    Visit,
)
from yibao.persistence.tables.hospital import Settlement as SettlementRecord
from yibao.persistence.tables.institutions import ApiKey, Institution
from yibao.persistence.tables.persons import Enrolment, Person

__all__ = [
    "Account",
    "ApiKey",
    "CatalogItem",
    "Enrolment",
    "FeeLine",
    "FsiMessage",
    "Institution",
    "JournalEntry",
    "Person",
    "PersonCredential",
    "Posting",
    "SettlementFund",
    "SettlementRecord",
    "SignIn",
    "Visit",
]
