"""Cell parsers shared by the tabular importers: each returns a value or raises ValueError(reason)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}


def parse_date(value: str, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise ValueError("a date is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(value[:10] if len(value) > 10 and value[10] in "T " else value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date in ISO 8601 form (YYYY-MM-DD)") from None


def parse_bool_or_date(value: str) -> tuple[bool, date | None]:
    """Consent cells: yes/no, or the date consent was given (which means yes)."""
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True, None
    if lowered in FALSE:
        return False, None
    try:
        return True, date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is neither yes/no nor a date (YYYY-MM-DD)") from None


UNKNOWN = {"", "unknown", "not known", "?"}


def parse_yes_no_unknown(value: str) -> bool | None:
    """A condition that may not be known: yes, no, or blank / unknown (None)."""
    lowered = value.strip().lower()
    if lowered in UNKNOWN:
        return None
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError(f"{value!r} is not yes, no or unknown (leave the cell blank when not known)")


def parse_choice(value: str, choices: dict[str, str], *, required: bool = True) -> str:
    lowered = value.strip().lower()
    if not lowered:
        if required:
            raise ValueError(f"a value is required: one of {', '.join(sorted(set(choices.values())))}")
        return ""
    if lowered not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(sorted(set(choices.values())))}")
    return choices[lowered]


def parse_decimal(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value!r} must be zero or more")
    return number
