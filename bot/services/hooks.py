"""Which services run inside which: the hooks Prompting and AnswerService call.

Prompting asks themed weeks for the day's plan and cadence and follow-ups whether to hold a
member's slot; a reveal offers the depth ladder. These services need each other, so they are
connected here, in one place the bot, benchmarks and tests share, after all of them exist.
"""

from __future__ import annotations

from bot.services.answers import AnswerService
from bot.services.challenges import ChallengeService
from bot.services.followups import FollowUps
from bot.services.prompting import Prompting


def connect(
    prompting: Prompting,
    answers: AnswerService,
    followups: FollowUps,
    challenges: ChallengeService,
) -> None:
    prompting.hold = followups.hold
    prompting.may_hold = followups.may_hold
    prompting.after_held = answers.settle_by_id
    prompting.planner = challenges.plan_day
    prompting.cadence_override = challenges.cadence_override
    prompting.in_week = challenges.pairs_in_weeks
    answers.after_reveal = followups.offer_deeper
