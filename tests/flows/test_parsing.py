"""Tests for flows.parsing: every accepted form, every error code, and property tests (ID numbers
in test_id_parsing)."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flows.parsing import (
    ParseError,
    normalize,
    parse_age,
    parse_amount,
    parse_count,
    parse_free_text,
    parse_id_number,
    parse_mobile,
)
from tests.flows.parsing_helpers import (
    MAX_AMOUNT,
    MAX_COUNT,
    TODAY,
    error_of,
    to_full_width,
)

# ---------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("３０００", "3000"),
        ("3，000", "3,000"),
        ("  a \t b\n\nc  ", "a b c"),
        ("\u3000三千\u3000五\u3000", "三千 五"),  # ideographic space
        ("ｘ", "x"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3000", "3000"),
        ("3,000", "3000"),
        ("3，000", "3000"),
        ("３０００", "3000"),
        ("３，０００", "3000"),
        ("3000元", "3000"),
        ("3000 元", "3000"),
        ("3000块", "3000"),
        ("3000块钱", "3000"),
        ("¥3000", "3000"),
        ("￥3,000.50", "3000.50"),
        ("¥ 3000", "3000"),
        ("人民币3000元", "3000"),
        ("3000rmb", "3000"),
        ("3千", "3000"),
        ("3千5", "3500"),
        ("三千五", "3500"),
        ("三千五百", "3500"),
        ("三千五百元", "3500"),
        ("三千五百元整", "3500"),
        ("3.5千", "3500"),
        ("1万", "10000"),
        ("1.2万", "12000"),
        ("1.23456万", "12345.60"),  # exact: cn2an alone would truncate to 12345
        ("3万5千", "35000"),
        ("两千", "2000"),
        ("一万二", "12000"),
        ("十万零一", "100001"),
        ("三点五", "3.50"),
        ("七十点56", "70.56"),
        ("五百6", "560"),  # colloquial: 五百六 = 560
        ("二十五万三", "253000"),
        ("25万3", "253000"),
        ("一千零五", "1005"),
        ("一万零五百", "10500"),
        ("一十二", "12"),  # formal spelling of 十二
        ("壹拾贰万", "120000"),  # financial numerals
        ("壹万贰仟元整", "12000"),
        ("廿", "20"),
        ("0", "0"),
        ("0.00", "0"),
        ("零", "0"),
        ("无", "0"),
        ("没有", "0"),
        ("none", "0"),
        ("None", "0"),
        ("no", "0"),
        ("NO", "0"),
        ("3k", "3000"),
        ("3K", "3000"),
        ("2.5k", "2500"),
        ("1w", "10000"),
        ("1234.5", "1234.50"),
        (".5", "0.50"),
        ("3.005", "3.01"),  # half-up to cents
        ("3.004", "3.00"),
        ("2.675", "2.68"),  # exact decimal, not float (float would give 2.67)
        ("-0", "0"),
        ("1000000", "1000000"),
        ("1000000.004", "1000000"),  # rounds down to the maximum
    ],
)
def test_amount_accepted(text: str, expected: str) -> None:
    value = parse_amount(text, maximum=MAX_AMOUNT)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2  # always quantized to cents


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5", "amount.negative"),
        ("负五", "amount.negative"),
        ("-¥5", "amount.negative"),
        ("¥-5", "amount.negative"),
        ("−5", "amount.negative"),  # U+2212 minus sign
        ("－５", "amount.negative"),  # full-width
        ("-3千", "amount.negative"),
        ("1000000.01", "amount.too_large"),
        ("1000000.005", "amount.too_large"),
        ("一千万", "amount.too_large"),
        ("1亿", "amount.too_large"),
        ("9" * 60, "amount.too_large"),
        ("", "amount.invalid"),
        ("   ", "amount.invalid"),
        ("abc", "amount.invalid"),
        ("元", "amount.invalid"),
        ("¥", "amount.invalid"),
        ("3,00", "amount.invalid"),  # misplaced separator is not guessed at
        ("3,0000", "amount.invalid"),
        ("3 000", "amount.invalid"),
        ("3000-4000", "amount.invalid"),
        ("3.5.5", "amount.invalid"),
        ("1e5", "amount.invalid"),
        ("千", "amount.invalid"),
        ("--5", "amount.invalid"),
        ("负负五", "amount.invalid"),
        ("3块5", "amount.invalid"),
        ("nan", "amount.invalid"),
        ("inf", "amount.invalid"),
        ("3" * 200, "amount.invalid"),  # too long to be an amount at all
        ("三点一二三四五六七八九一二三四五六七八九", "amount.invalid"),
        # cn2an reads these, but as ranges or typos they have no one value:
        ("两三千", "amount.invalid"),  # two or three thousand
        ("三四千五", "amount.invalid"),  # cn2an: 7500
        ("五8万五", "amount.invalid"),  # cn2an: 135000
        ("千7万9", "amount.invalid"),  # cn2an: 10079000
        ("百百4", "amount.invalid"),
        ("六10", "amount.invalid"),  # cn2an: 60
        ("一16", "amount.invalid"),  # cn2an: 16
        ("三千65", "amount.invalid"),  # 3065 or 3650?
        ("1亿266", "amount.invalid"),
        ("一二三", "amount.invalid"),  # digit by digit is refused too
        ("1.5万5", "amount.invalid"),
        ("九" * 20 + "万", "amount.invalid"),  # past cn2an's 16 digits
    ],
)
def test_amount_errors(text: str, code: str) -> None:
    assert error_of(lambda: parse_amount(text, maximum=MAX_AMOUNT)).code == code


def test_amount_too_large_params() -> None:
    err = error_of(lambda: parse_amount("2000000", maximum=MAX_AMOUNT))
    assert err.params == {"max": MAX_AMOUNT}


def test_amount_errors_carry_no_input() -> None:
    for text in ["-5", "abc", "3,00"]:
        assert error_of(lambda text=text: parse_amount(text, maximum=MAX_AMOUNT)).params == {}


# ---------------------------------------------------------------- counts and ages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("3", 3),
        ("３", 3),
        ("三", 3),
        ("十二", 12),
        ("两", 2),
        ("3人", 3),
        ("3 人", 3),
        ("三个人", 3),
        ("4个", 4),
        ("四口", 4),
        ("四口人", 4),
        ("2辆", 2),
        ("两辆", 2),
        ("1套", 1),
        ("3名", 3),
        ("零", 0),
        ("无", 0),
        ("没有", 0),
        ("none", 0),
        ("3.0", 3),
        ("20", 20),
    ],
)
def test_count_accepted(text: str, expected: int) -> None:
    assert parse_count(text, maximum=MAX_COUNT) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "count.invalid"),
        ("abc", "count.invalid"),
        ("3.5", "count.invalid"),
        ("三点五", "count.invalid"),
        ("-1", "count.invalid"),
        ("负一", "count.invalid"),
        ("3-4", "count.invalid"),
        ("人", "count.invalid"),
        ("两三个", "count.invalid"),  # "two or three": cn2an alone says 23
        ("三四个人", "count.invalid"),
        ("21", "count.too_large"),
        ("一万", "count.too_large"),
        ("9" * 60, "count.too_large"),
    ],
)
def test_count_errors(text: str, code: str) -> None:
    assert error_of(lambda: parse_count(text, maximum=MAX_COUNT)).code == code


def test_count_too_large_params() -> None:
    assert error_of(lambda: parse_count("21", maximum=MAX_COUNT)).params == {"max": MAX_COUNT}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("35", 35),
        ("３５", 35),
        ("35岁", 35),
        ("35 岁", 35),
        ("35周岁", 35),
        ("三十五", 35),
        ("三十五岁", 35),
        ("两岁", 2),
        ("十二", 12),
        ("零", 0),
        ("120", 120),
        ("一百二十", 120),
        ("35 years old", 35),
    ],
)
def test_age_accepted(text: str, expected: int) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "age.invalid"),
        ("abc", "age.invalid"),
        ("35.5", "age.invalid"),
        ("-3", "age.invalid"),
        ("无", "age.invalid"),  # "none" is no age
        ("35虚岁", "age.invalid"),  # nominal age is not completed years
        ("3个月", "age.invalid"),
        ("七八岁", "age.invalid"),  # "seven or eight": cn2an alone says 78
        ("121", "age.too_large"),
        ("一百二十一", "age.too_large"),
        ("9" * 60, "age.too_large"),
    ],
)
def test_age_errors(text: str, code: str) -> None:
    assert error_of(lambda: parse_age(text)).code == code


def test_age_too_large_params() -> None:
    assert error_of(lambda: parse_age("150")).params == {"max": 120}


# ---------------------------------------------------------------- mobile


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "86 13800138000",
        "8613800138000",
        "0086 138 0013 8000",
        "(+86) 138-0013-8000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        " 13800138000 ",
    ],
)
def test_mobile_accepted(text: str) -> None:
    assert parse_mobile(text) == "13800138000"


@pytest.mark.parametrize(
    "text",
    ["", "1380013800", "138001380001", "23800138000", "+1 13800138000", "8813800138000",
     "1380013800a", "138.0013.8000", "1" * 200],
)
def test_mobile_errors(text: str) -> None:
    err = error_of(lambda: parse_mobile(text))
    assert err.code == "mobile.invalid"
    assert err.params == {}


# ---------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("  家里有老人需要照顾。\n", "家里有老人需要照顾。"), ("a  b", "a  b"), ("，", "，")],
)
def test_free_text_accepted(text: str, expected: str) -> None:
    assert parse_free_text(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u3000"])
def test_free_text_empty(text: str) -> None:
    assert error_of(lambda: parse_free_text(text)).code == "text.empty"


def test_free_text_length() -> None:
    assert parse_free_text(" " + "字" * 10 + " ", max_length=10) == "字" * 10
    err = error_of(lambda: parse_free_text("字" * 11, max_length=10))
    assert (err.code, err.params) == ("text.too_long", {"max": 10})
    assert error_of(lambda: parse_free_text("a" * 4097)).params == {"max": 4096}


# ---------------------------------------------------------------- ParseError itself


def test_parse_error_behaves_as_an_exception() -> None:
    err = ParseError("amount.too_large", {"max": 5})
    assert isinstance(err, ValueError)
    assert (err.code, err.params) == ("amount.too_large", {"max": 5})
    assert err == ParseError("amount.too_large", {"max": 5})
    assert err != ParseError("amount.too_large", {"max": 6})
    assert hash(err) == hash(ParseError("amount.too_large", {"max": 6}))
    assert pickle.loads(pickle.dumps(err)) == err
    assert ParseError("text.empty").params == {}
    with pytest.raises(AttributeError):
        err.code = "other"  # type: ignore[misc]
    err.add_note("notes work")  # a frozen slotted dataclass exception fails here on 3.11

    @contextlib.contextmanager
    def passthrough() -> Any:
        yield

    with pytest.raises(ParseError):
        with passthrough():
            raise err


# ---------------------------------------------------------------- properties

NUMERAL_ALPHABET = st.sampled_from(
    list("0123456789０１２３４５６７８９.,，-−+ ¥￥元块钱整kKwW")
    + list("零〇一二两三四五六七八九十百千万亿拾佰仟壹贰点负廿")
    + list("人个口辆套名位岁周虚xXｘ()年")
)
numeral_like = st.text(NUMERAL_ALPHABET, max_size=20)


@settings(max_examples=300)
@given(n=st.integers(min_value=0, max_value=int(MAX_AMOUNT)))
@example(n=0)
@example(n=int(MAX_AMOUNT))
def test_amount_integer_forms(n: int) -> None:
    for text in (str(n), f"{n:,}", to_full_width(str(n)), to_full_width(f"{n:,}"), f"{n}元"):
        assert parse_amount(text, maximum=MAX_AMOUNT) == n


@settings(max_examples=200)
@given(cents=st.integers(min_value=0, max_value=int(MAX_AMOUNT) * 100))
def test_amount_cents_round_trip(cents: int) -> None:
    value = Decimal(cents).scaleb(-2)
    assert parse_amount(f"¥{value:,}", maximum=MAX_AMOUNT) == value


@settings(max_examples=200)
@given(n=st.integers(min_value=0, max_value=MAX_COUNT))
def test_count_integer_forms(n: int) -> None:
    for text in (str(n), to_full_width(str(n)), f"{n}人", f"{n}辆"):
        assert parse_count(text, maximum=MAX_COUNT) == n


PARSERS: list[Callable[[str], object]] = [
    lambda t: parse_amount(t, maximum=MAX_AMOUNT),
    lambda t: parse_count(t, maximum=MAX_COUNT),
    parse_age,
    lambda t: parse_id_number(t, today=TODAY),
    parse_mobile,
    parse_free_text,
]


@settings(max_examples=500)
@given(text=st.one_of(st.text(), numeral_like))
def test_parsers_only_return_or_raise_parse_error(text: str) -> None:
    for parse in PARSERS:
        try:
            parse(text)
        except ParseError:
            pass


@settings(max_examples=300)
@given(text=numeral_like)
def test_amount_is_non_negative_cents_within_maximum(text: str) -> None:
    try:
        value = parse_amount(text, maximum=MAX_AMOUNT)
    except ParseError as err:
        assert err.code in {"amount.invalid", "amount.negative", "amount.too_large"}
    else:
        assert Decimal(0) <= value <= MAX_AMOUNT
        assert value.as_tuple().exponent == -2


def test_the_numeral_tables_agree_with_cn2an():
    """The parser's own tables of numerals and units read as cn2an's public reader reads them."""
    import cn2an

    from flows.parsing import NUMERALS, UNITS

    assert {char: cn2an.cn2an(char, "smart") for char in NUMERALS} == NUMERALS
    assert {char: cn2an.cn2an("一" + char, "smart") for char in UNITS} == UNITS
    assert cn2an.an2cn(2) == "二" and cn2an.an2cn(10) == "十"  # the first spelling of each value
