"""Table modules, one per noun. Importing this package registers every table on ``Base``."""

from yibao.persistence.tables.accounts import Account, JournalEntry, Posting
from yibao.persistence.tables.applications import (
    Application,
    ApplicationEvent,
    ApplicationFile,
    ChronicCertification,
    CrossRegionFiling,
    Notice,
)
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
from yibao.persistence.tables.news import NewsArticle, NewsRead
from yibao.persistence.tables.persons import Enrolment, Person

__all__ = [
    "Account",
    "ApiKey",
    "Application",
    "ApplicationEvent",
    "ApplicationFile",
    "CatalogItem",
    "ChronicCertification",
    "CrossRegionFiling",
    "Enrolment",
    "FeeLine",
    "FsiMessage",
    "Institution",
    "JournalEntry",
    "NewsArticle",
    "NewsRead",
    "Notice",
    "Person",
    "PersonCredential",
    "Posting",
    "SettlementFund",
    "SettlementRecord",
    "SignIn",
    "Visit",
]
