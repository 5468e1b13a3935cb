"""PrivacyService's own rules: an export is everything about the member, a forget erases it and
tells partners kindly, once, without naming the member."""

from __future__ import annotations

import json

from bot.core.models import PairState
from bot.storage import answers as answer_store
from bot.storage import members as member_store
from bot.storage import pairs as pair_store
from tests.services.conftest import Services, queued

A, B, C = 1, 2, 3


async def test_an_export_holds_the_members_answers_and_no_one_elses_unrevealed(
    services: Services,
) -> None:
    pair = await services.pair(A, B)
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "my own words")
    await services.answers.submit(await services.give(pair), B, "B's unrevealed words")

    export = await services.privacy.export(A)
    text = export.data.decode()
    data = json.loads(text)
    assert "my own words" in text
    assert "B's unrevealed words" not in text
    assert export.rows == sum(len(t) for t in data["tables"].values()) > 0


async def test_export_files_respect_the_upload_limit(services: Services) -> None:
    pair = await services.pair(A, B)
    await services.answers.submit(await services.give(pair), A, "words " * 200)
    whole, files = await services.privacy.export_files(A, 1_000_000)
    assert [f.data for f in files.files] == [whole.data]
    _, small = await services.privacy.export_files(A, len(whole.data) - 1)
    assert all(len(f.data) <= len(whole.data) - 1 for f in small.files)


async def test_forget_erases_the_member_and_ends_their_pairs(services: Services) -> None:
    pair = await services.pair(A, B)
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "forget me")

    report = await services.privacy.forget(A)

    assert [p.pair_id for p in report.ended_pairs] == [pair.id]
    assert await member_store.get_member(services.db, A) is None
    assert A not in await answer_store.answers_for(services.db, iid)
    ended = await pair_store.get_pair(services.db, pair.id)
    assert ended is None or ended.status == PairState.ENDED
    assert "forget me" not in (await services.privacy.export(B)).data.decode()


async def test_partners_are_told_once_and_the_notice_does_not_name_the_member(
    services: Services,
) -> None:
    pair = await services.pair(A, B)
    await services.privacy.forget(A)
    await services.privacy.forget(A)

    [notice] = await queued(services.db, "forgotten:")
    assert notice["dedupe_key"] == f"forgotten:{pair.id}:{B}"
    assert notice["user_id"] == B
    assert "m1" not in notice["payload"] and str(A) not in notice["payload"]
    assert services.wakes


async def test_forgetting_someone_with_no_pairs_tells_nobody(services: Services) -> None:
    await member_store.upsert_member(services.db, C, "Cara", services.now())
    report = await services.privacy.forget(C)
    assert report.ended_pairs == ()
    assert await queued(services.db, "forgotten:") == []
    assert services.wakes == []
