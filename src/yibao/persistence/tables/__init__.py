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
from yibao.persistence.tables.audit import AuditEntry
from yibao.persistence.tables.catalog import CatalogItem
from yibao.persistence.tables.catalog_imports import CatalogImport
from yibao.persistence.tables.citizens import (
    CitizenSession,
    CitizenUser,
    IdentityCheck,
    VerificationCode,
)
from yibao.persistence.tables.claims import ClaimInvoice, ClaimReview, PaymentBatch, PaymentItem
from yibao.persistence.tables.credentials import PersonCredential
from yibao.persistence.tables.dashboard_index import settlements_dashboard
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
from yibao.persistence.tables.policy_documents import PolicyDocument
from yibao.persistence.tables.staff import StaffMember, StaffRegion, StaffSession
from yibao.persistence.tables.year_to_date import YearToDateRow

__all__ = [
    "Account",
    "ApiKey",
    "Application",
    "ApplicationEvent",
    "ApplicationFile",
    "AuditEntry",
    "CatalogImport",
    "CatalogItem",
    "ChronicCertification",
    "CitizenSession",
    "CitizenUser",
    "ClaimInvoice",
    "ClaimReview",
    "CrossRegionFiling",
    "Enrolment",
    "FeeLine",
    "FsiMessage",
    "IdentityCheck",
    "Institution",
    "JournalEntry",
    "NewsArticle",
    "NewsRead",
    "Notice",
    "PaymentBatch",
    "PaymentItem",
    "Person",
    "PersonCredential",
    "PolicyDocument",
    "Posting",
    "SettlementFund",
    "SettlementRecord",
    "SignIn",
    "StaffMember",
    "StaffRegion",
    "StaffSession",
    "VerificationCode",
    "Visit",
    "YearToDateRow",
    "settlements_dashboard",
]
