"""The distributions of ``yibao synth``: one place for every figure, with its source.

docs/simulation.md explains each one. Figures marked ``source`` come from a published
statistic (quoted there); the others are this project's assumptions, chosen to be plausible
and to exercise every feature of the engine. Money is in integer fen; the random draws are
floats, and each amount is rounded to whole fen once, when it is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- population -------------------------------------------------------------------------
# Employee schemes: share of retired members. Source: 2023 医保 statistical bulletin
# (职工医保 37,095 万人, of whom 退休 9,996 万人: 27%).
RETIRED_SHARE = 0.27
# In-service ages: uniform 20-59 (assumption). Retired ages: 55 + exponential, mean 14 years,
# at most 100 (assumption).
IN_SERVICE_AGES = (20, 59)
RETIRED_AGE_START = 55
RETIRED_AGE_MEAN_EXTRA = 14.0

# Resident schemes: age bands and their shares (assumption: the scheme covers children,
# students, rural and non-employed adults and the elderly without employee cover).
RESIDENT_AGE_BANDS = ((0, 17, 0.24), (18, 22, 0.06), (23, 59, 0.45), (60, 89, 0.25))
STUDENT_SHARE_18_22 = 0.5  # of residents aged 18-22, the share at university (assumption)

# Personal account opening balance in yuan, log-normal (mean, sigma) by group (assumption).
ACCOUNT_BALANCE = {"in_service": (2500.0, 1.0), "retired": (4000.0, 0.8)}
NO_ACCOUNT_USE_SHARE = 0.05  # persons who choose not to pay from the account (assumption)


# --- encounters per person and year -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupRates:
    """Yearly rates for one person group (all assumptions, calibrated so that the whole
    population sees about the national figures: 6.8 visits and 0.214 admissions a year)."""

    outpatient_visits: float  # mean of a negative binomial (dispersion OUTPATIENT_DISPERSION)
    admissions: float  # mean of a Poisson
    chronic_prevalence: float  # share of persons certified for a chronic disease
    oncology_share: float  # share of persons in a course of cancer radio/chemotherapy
    maternity: float  # share of persons with a birth this year (where the policy pays it)


GROUP_RATES = {
    "in_service": GroupRates(4.0, 0.08, 0.06, 0.004, 0.0),
    "retired": GroupRates(10.0, 0.40, 0.30, 0.015, 0.0),
    "adult": GroupRates(3.0, 0.16, 0.08, 0.008, 0.012),
    "minor": GroupRates(3.0, 0.06, 0.005, 0.001, 0.0),
    "student": GroupRates(2.0, 0.03, 0.005, 0.001, 0.002),
}
OUTPATIENT_DISPERSION = 1.5  # negative binomial shape: many persons with no visit, a few with many
CHRONIC_VISITS_MEAN = 7.0  # visits a year beyond the first, Poisson (assumption)
ONCOLOGY_COURSES = (4, 8)  # admissions a year for a course of radio/chemotherapy (assumption)

# Hospital level shares (1, 2, 3). Inpatient: 2023 health statistical bulletin, 30,187 万
# admissions: hospitals 24,500 万, township centres 3,992 万, community centres 480 万; the
# split of hospitals into levels 2 and 3 is an assumption. Outpatient: hospitals 42.6 亿 of
# 95.5 亿 visits, the rest at primary care (level 1).
INPATIENT_LEVELS = (0.20, 0.35, 0.45)
OUTPATIENT_LEVELS = (0.50, 0.25, 0.25)
CHRONIC_LEVELS = (0.40, 0.35, 0.25)

# --- costs: log-normal (mean in yuan, sigma) --------------------------------------------
# Source for the means' scale: 2023 health statistical bulletin, hospital average cost per
# stay 10,315.8 yuan and per outpatient visit 361.6 yuan. The split by level is an assumption.
INPATIENT_COST = {1: (3000.0, 0.7), 2: (6500.0, 0.8), 3: (13000.0, 0.9)}
OUTPATIENT_COST = {1: (120.0, 0.8), 2: (280.0, 0.9), 3: (420.0, 0.9)}
CHRONIC_COST = {1: (350.0, 0.6), 2: (500.0, 0.7), 3: (700.0, 0.7)}
THERAPY_COST = {"dialysis": (4500.0, 0.2), "anti_rejection": (3000.0, 0.3)}  # a month
ONCOLOGY_COST = (12000.0, 0.5)
MATERNITY_COST = (4500.0, 0.4)

# --- item mix ---------------------------------------------------------------------------
# Shares of an encounter's cost (assumptions): 丙类 (C) ~ Beta(2, 20), mean 9%; of the rest,
# 乙类 (B) ~ Beta(4, 7), mean 36%; the remainder is 甲类 (A).
C_SHARE_BETA = (2.0, 20.0)
B_SHARE_BETA = (4.0, 7.0)
B_LINE_PRESENT = 0.85  # else the whole in-list cost is 甲类
C_LINE_PRESENT = {"inpatient": 0.7, "maternity": 0.5, "outpatient": 0.3, "chronic_outpatient": 0.2}
# 乙类 先行自付 ratio: the policy's default (None) or one of these, in millionths.
B_SELFPAY_CHOICES = (None, 50_000, 100_000, 150_000, 200_000)
B_SELFPAY_WEIGHTS = (0.70, 0.08, 0.12, 0.05, 0.05)
# Inpatient implants or devices with a payment standard (限价): share of stays, cost, and the
# standard as a share of the price (uniform, in thousandths).
IMPLANT_SHARE = 0.08
IMPLANT_COST = (8000.0, 0.6)
IMPLANT_LIMIT_PERMILLE = (600, 1000)

# --- the rarer features -----------------------------------------------------------------
NON_DESIGNATED = 0.01  # encounters at a non-designated institution; half of them approved
EXCLUDED_CAUSE = 0.02  # inpatient stays with an excluded cause (assumption)
CAUSES = (
    ("third_party", 0.50),
    ("violence_crime", 0.15),
    ("self_harm", 0.10),
    ("work_injury", 0.10),
    ("cosmetic", 0.05),
    ("maternity_insurance", 0.05),
    ("other_excluded", 0.05),
)
MENTAL_ILLNESS_OF_SELF_HARM = 0.4
# Inpatient routes (normal is the rest).
ROUTES = (("referral", 0.05), ("transfer_out", 0.03), ("emergency", 0.05))
# Schemes with a first-visit hospital: visits elsewhere.
AWAY_FROM_FIRST_VISIT = {"outpatient": 0.08, "inpatient": 0.15}
# Chronic classes: a class with a therapy bonus holds the severe cases (dialysis,
# anti-rejection); it gets this share of the chronic persons, the other classes share the rest.
SEVERE_CLASS_SHARE = 0.10
# Disease codes where a policy's chronic class lists none (the policy accepts any code).
DEFAULT_DISEASES = (
    "hypertension",
    "diabetes",
    "coronary_heart_disease",
    "copd",
    "cerebral_infarction_sequelae",
    "chronic_hepatitis",
    "rheumatoid_arthritis",
)
SECOND_DISEASE_SHARE = 0.2  # chronic persons with a second disease, in the same class
