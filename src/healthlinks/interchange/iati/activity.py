"""An IATI activity as the reader maps it (`reader.ParsedActivity.data`) and the importer reads it: plain dicts,
lists, texts, whole numbers, booleans and None, typed here so that mypy checks every key from the mapping to the
project's fields. Codes, references and numbers stay the text published (trimmed); dates are ISO `YYYY-MM-DD`
text once checked, else None. No Django: the reading process imports this without it."""

from __future__ import annotations

from typing import TypedDict


class Narrative(TypedDict):
    lang: str
    text: str


class Description(TypedDict):
    type: str
    lang: str
    text: str


class ReportingOrg(TypedDict):
    ref: str
    type: str
    names: list[Narrative]
    secondary_reporter: bool | None


class Participant(TypedDict):
    role: str
    type: str
    ref: str
    activity_id: str
    crs_channel_code: str
    names: list[Narrative]
    hl_ror: str  # healthlinks:ror, our own exports
    hl_country: str  # healthlinks:country


class ActivityDates(TypedDict):
    planned_start: str | None
    actual_start: str | None
    planned_end: str | None
    actual_end: str | None


class RecipientCountry(TypedDict):
    code: str
    percentage: str | None
    names: list[Narrative]


class RecipientRegion(TypedDict):
    code: str
    vocabulary: str
    vocabulary_uri: str
    percentage: str | None
    names: list[Narrative]


class Sector(TypedDict):
    code: str
    vocabulary: str
    vocabulary_uri: str
    percentage: str | None
    names: list[Narrative]


class Budget(TypedDict):
    type: str
    status: str
    period_start: str | None
    period_end: str | None
    value: str | None
    currency: str
    value_date: str | None


class TransactionOrg(TypedDict):
    ref: str
    type: str
    activity_id: str
    names: list[Narrative]


class Transaction(TypedDict):
    ref: str
    humanitarian: bool | None
    type: str
    date: str | None
    value: str | None
    currency: str
    value_date: str | None
    descriptions: list[Narrative]
    provider: TransactionOrg
    receiver: TransactionOrg


class Dimension(TypedDict):
    name: str
    value: str


class Measured(TypedDict):
    """A baseline, target or actual value: kept as published text."""

    value: str | None
    dimensions: list[Dimension]
    comment: list[Narrative]


class Baseline(Measured):
    year: str
    iso_date: str | None


class Period(TypedDict):
    period_start: str | None
    period_end: str | None
    targets: list[Measured]
    actuals: list[Measured]


class Indicator(TypedDict):
    measure: str
    ascending: bool | None
    aggregation_status: bool | None
    titles: list[Narrative]
    descriptions: list[Narrative]
    baselines: list[Baseline]
    periods: list[Period]


class Result(TypedDict):
    type: str
    aggregation_status: bool | None
    titles: list[Narrative]
    descriptions: list[Narrative]
    indicators: list[Indicator]


class IatiActivity(TypedDict):
    """One `iati-activity`, every key always present (the reader writes them in this order, which the change
    digest depends on)."""

    iati_identifier: str
    default_lang: str
    default_currency: str
    hierarchy: int | None
    humanitarian: bool | None
    last_updated: str | None
    reporting_org: ReportingOrg | None  # None: the activity is skipped
    titles: list[Narrative]
    descriptions: list[Description]
    participants: list[Participant]
    activity_status: str
    dates: ActivityDates
    recipient_countries: list[RecipientCountry]
    recipient_regions: list[RecipientRegion]
    sectors: list[Sector]
    budgets: list[Budget]
    transactions: list[Transaction]
    results: list[Result]
    hl_partnership: str  # healthlinks:partnership slug, our own exports
