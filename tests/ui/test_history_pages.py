"""History pages show every answer whole, within Discord's message limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ui.history import (
    DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    ENTRIES_PER_PAGE,
    Entry,
    history_message,
    paginate,
)

answers = st.text(alphabet="abcdefgh ", min_size=1, max_size=2000)
entries = st.lists(
    st.builds(
        Entry,
        when=st.just("02 Mar"),
        prompt=st.text(alphabet="xyz ", min_size=1, max_size=300),
        said=st.lists(st.tuples(st.sampled_from(["You", "Sam", "Lee"]), answers), max_size=3),
    ),
    max_size=12,
)


def size(embeds: list[dict[str, object]]) -> int:
    return sum(len(str(e.get("title", ""))) + len(str(e.get("description", ""))) for e in embeds)


@settings(max_examples=150, deadline=None)
@given(entries)
def test_every_answer_appears_whole_once_and_pages_fit_discord(items: list[Entry]) -> None:
    pages = paginate(items)
    for embeds in pages:
        assert len(embeds) <= EMBEDS_PER_MESSAGE
        assert size(embeds) + 40 <= 6000
        assert all(len(str(e["description"])) <= DESCRIPTION_LIMIT for e in embeds)
        titles = {str(e["title"]).removesuffix(" (continued)") for e in embeds}
        assert len(titles) <= ENTRIES_PER_PAGE
    everything = "\n".join(str(e["description"]) for page in pages for e in page)
    for entry in items:
        for who, what in entry.said:
            assert f"**{who}:** {what}" in everything


def test_two_long_answers_and_a_third_continue_on_the_next_page() -> None:
    long = "a" * 2000
    entry = Entry("02 Mar", "What made you laugh?", [("You", long), ("Sam", long), ("Lee", long)])
    _, page, pages = history_message([entry], 1)
    assert (page, pages) == (1, 2)
    second, _, _ = history_message([entry], 2)
    assert second["embeds"][0]["title"].endswith("(continued)")
    assert "**Lee:** " + long in second["embeds"][0]["description"]


def test_no_history_says_so() -> None:
    payload, page, pages = history_message([], 3)
    assert (page, pages) == (1, 1)
    assert payload["content"].startswith("Nothing here yet.")
