"""Properties over generated households: always a result, in range, explainable, and monotone in income."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.application import (
    Assets,
    Hardship,
    HardshipType,
    Health,
    Housing,
    HousingStatus,
    Member,
    MemberRelation,
    OtherIncome,
    RigidSpending,
    UrgentNeed,
    Work,
)
from backend.policy.assess import assess
from backend.policy.codes import SEVERITY, Layer
from backend.policy.explain import explain
from backend.policy.household import Household
from backend.policy.pack import load_pack
from locales import Translations

PACK = load_pack("demo")
MESSAGES = Translations()
CENT = Decimal("0.01")


def money(high: int) -> st.SearchStrategy[Decimal]:
    return st.one_of(
        st.just(Decimal(0)),
        st.decimals(min_value=0, max_value=high, places=2, allow_nan=False, allow_infinity=False),
        # The thresholds themselves and their neighbours, where mistakes hide.
        st.sampled_from(
            [Decimal(x) for x in ("899.99", "900", "1000", "999.99", "1500", "2000", "3500", "4000", "24000")]
        ),
    )


members = st.builds(
    Member,
    relation=st.sampled_from(MemberRelation),
    age=st.integers(0, 100),
    health=st.sampled_from(Health),
    disability_grade=st.one_of(st.none(), st.integers(1, 4)),
    work=st.sampled_from(Work),
    monthly_income=money(12000),
)
households = st.builds(
    Household,
    members=st.lists(members, min_size=1, max_size=6).map(tuple),
    other_income=st.builds(OtherIncome, relatives_support=money(3000), pension=money(3000), agricultural=money(2000),
                           other=money(2000)),
    assets=st.builds(Assets, savings=money(200000), vehicles=st.integers(0, 2), homes=st.integers(0, 3)),
    rigid_spending=st.builds(RigidSpending, medical=money(120000), education=money(60000)),
    housing=st.builds(Housing, status=st.sampled_from(HousingStatus)),
    hardship=st.builds(Hardship, types=st.lists(st.sampled_from(HardshipType), unique=True, max_size=4).map(tuple)),
    urgent_needs=st.lists(st.sampled_from(UrgentNeed), unique=True, max_size=2).map(tuple),
    able_supporter=st.booleans(),
)
dates = st.one_of(
    st.sampled_from([date(2024, 6, 1), date(2025, 6, 1), date(2024, 12, 31), date(2025, 1, 1)]),
    st.integers(0, 1500).map(lambda days: date(2024, 1, 1) + timedelta(days=days)),
)


def lowered(household: Household, factor: Decimal) -> Household:
    """The same household with every income scaled down by ``factor`` (0–1), never up."""

    def scale(value: Decimal) -> Decimal:
        return (value * factor).quantize(CENT, ROUND_DOWN)

    other = household.other_income
    return household.model_copy(
        update={
            "members": tuple(
                m.model_copy(update={"monthly_income": scale(m.monthly_income)}) for m in household.members
            ),
            "other_income": OtherIncome(
                relatives_support=scale(other.relatives_support),
                pension=scale(other.pension),
                agricultural=scale(other.agricultural),
                other=scale(other.other),
            ),
        }
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=households, on=dates)
def test_any_household_gets_a_result_in_range(household: Household, on: date) -> None:
    result = assess(household, on, PACK)
    assert result.layer in set(Layer)
    assert result.benefit_estimate >= 0
    assert result.benefit_estimate == result.benefit_estimate.quantize(CENT)
    assert 0 <= result.resilience.total <= 100
    assert result.resilience.level in (1, 2, 3)
    assert all(0 <= d.score <= 100 for d in result.resilience.dimensions)
    assert sum(d.weight for d in result.resilience.dimensions) == 1
    assert result.emergency == bool(household.urgent_needs or HardshipType.ACCIDENT in household.hardship.types)
    assert (result.benefit_estimate > 0) <= (result.layer in (Layer.TEKUN, Layer.DIBAO))
    assert all(s.level in (1, 2, 3, 4) for s in result.services)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(household=households, on=dates)
def test_any_result_can_be_explained_in_both_languages(household: Household, on: date) -> None:
    result = assess(household, on, PACK)
    for locale in ("zh_CN", "en"):
        assert explain(result, MESSAGES(locale), PACK.regions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    household=households,
    on=dates,
    factor=st.one_of(st.just(Decimal(0)), st.decimals(min_value=0, max_value=1, places=3)),
)
def test_lowering_every_income_never_gives_a_less_severe_layer(household: Household, on: date, factor: Decimal) -> None:
    before = assess(household, on, PACK)
    after = assess(lowered(household, factor), on, PACK)
    assert SEVERITY[after.layer] <= SEVERITY[before.layer], (before.layer, after.layer)
