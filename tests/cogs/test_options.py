"""Option values parsed in the cogs: anything a client can send is refused kindly or used."""

from __future__ import annotations

import pytest

from bot.cogs.pair import with_user_id
from bot.errors import UserFacingError


@pytest.mark.parametrize("value", ["³", "١٢٣", "abc", "<@x>", "1" * 21])
def test_a_with_value_that_is_no_member_id_is_refused_kindly(value: str) -> None:
    with pytest.raises(UserFacingError, match="Pick your partner from the list"):
        with_user_id(value)


@pytest.mark.parametrize(("value", "expected"), [("<@123>", 123), (" 456 ", 456), ("", None)])
def test_a_mention_or_an_id_names_the_member(value: str, expected: int | None) -> None:
    assert with_user_id(value) == expected
