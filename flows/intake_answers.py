"""How the intake reads what residents type (ID numbers, ages, amounts, counts) and shows it back."""

from __future__ import annotations

from decimal import Decimal

from flows.amount_answers import Period, amount_answer
from flows.confirmation import Tentative
from flows.flow import Ask
from flows.parsing import ParseError, parse_age, parse_count, parse_free_text, parse_id_number
from locales import mask_id_number

MIN_AGE_TO_APPLY = 16


def subject_id(text: str, ask: Ask) -> str:
    found = parse_id_number(text, today=ask.today)
    if ask.answers.get("for_whom") == "self" and found.age_on(ask.today) < MIN_AGE_TO_APPLY:
        raise ParseError("id.minor_self", {"age": MIN_AGE_TO_APPLY})
    return found.number


def identity(text: str, ask: Ask) -> dict[str, object]:
    """A member's ID number (their age follows from it) or, when they have none to hand, their age."""
    if sum(ch.isalnum() for ch in text) >= 15:
        found = parse_id_number(text, today=ask.today)
        return {"id_number": found.number, "age": found.age_on(ask.today)}
    return {"age": parse_age(text)}


def amount(text: str, ask: Ask) -> str | Tentative:
    """An amount the question counts over no period (savings): a period said is taken as said,
    approximate ones are confirmed. A question asked per month or per year uses the two below."""
    return amount_answer(text, maximum=Decimal(ask.settings.max_amount))


def monthly_amount(text: str, ask: Ask) -> str | Tentative:
    """An amount per month (income, rent); one said per year is converted, and confirmed."""
    return amount_answer(text, maximum=Decimal(ask.settings.max_amount), period=Period.MONTH)


def yearly_amount(text: str, ask: Ask) -> str | Tentative:
    """An amount over the past twelve months (medical, education); one said per month is converted."""
    return amount_answer(text, maximum=Decimal(ask.settings.max_amount), period=Period.YEAR)


def count(text: str, ask: Ask) -> int:
    return parse_count(text, maximum=50)


def household_size(text: str, ask: Ask) -> int:
    size = parse_count(text, maximum=ask.settings.max_members)
    if size < 1:
        raise ParseError("count.too_small", {"min": 1})
    return size


def account(text: str, ask: Ask) -> str:
    return parse_free_text(text, max_length=ask.settings.max_text)


def masked_id(value: object) -> str:
    """An ID number as shown back to the resident: the region and the last four characters."""
    return mask_id_number(value) if isinstance(value, str) else str(value)


def identity_shown(value: object) -> str:
    # An identity holds an ID number, or only an age.
    if isinstance(value, dict):
        return masked_id(value.get("id_number") or value.get("age"))
    return str(value)


def lookup_ids(value: object) -> tuple[str, ...]:
    """The ID number an answer gives (the applicant's, or a member's identity when it has one)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, dict) and value.get("id_number"):
        return (value["id_number"],)
    return ()
