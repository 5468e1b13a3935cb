"""The composition root: every service Closer runs, and what each is built from.

`build_services` is the one place the service graph is made. Each service receives its
collaborators in its constructor and nothing is assigned onto it afterwards, so the order below
is the dependency order: a service appears after everything it calls. Read top to bottom:

* `Prompting` (choosing a prompt, members' names, the prompt delivery row) comes first: every
  feature that sends a prompt uses it.
* `FollowUps` then `AnswerService`, which offers the depth ladder after a reveal
  (`after_reveal=followups.offer_deeper`); `ChallengeService` settles instances through it.
* `Materialiser`, the prompt producer, receives what it asks of themed weeks and going quiet as
  the typed seams `ThemedWeeks` (the challenges service) and `GoingQuiet` (follow-ups).
* The outbox last: its producers are the ordered tuple `producers`, run at every tick.

`bot.app.CloserBot` calls this once the database is open; the scale benchmark calls it too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.models import Library
from bot.delivery.outbox import ChannelsAhead, Outbox, Producer
from bot.delivery.port import DiscordPort
from bot.services import undelivered
from bot.services.answers import AnswerService
from bot.services.challenges import ChallengeService
from bot.services.circles import CircleService
from bot.services.closeness import Closeness
from bot.services.followups import FollowUps
from bot.services.guilds import GuildService
from bot.services.materialise import Materialiser
from bot.services.members import MemberService
from bot.services.pairs import PairService
from bot.services.privacy import PrivacyService
from bot.services.prompting import PromptCommands, Prompting
from bot.services.schedule import PausesEnding
from bot.services.undelivered import UndeliveredInvites
from bot.storage import closeness as store_closeness
from bot.storage.db import Database


@dataclass(frozen=True)
class Services:
    """Everything the cogs (and tests) call. Built only by `build_services`."""

    members: MemberService
    prompting: Prompting
    followups: FollowUps
    answers: AnswerService
    challenges: ChallengeService
    materialiser: Materialiser
    prompt_commands: PromptCommands
    privacy: PrivacyService
    guilds: GuildService
    circles: CircleService
    closeness: Closeness
    pauses: PausesEnding
    outbox: Outbox
    pairs: PairService
    # The outbox's producers, in the order each tick runs them.
    producers: tuple[Producer, ...]


def build_services(
    db: Database,
    library: Library,
    *,
    zone: str,
    nudge_after: timedelta,
    clock: Clock,
    wake: Callable[[], None],
    port: DiscordPort,
    observe: Callable[[str, str], None] | None = None,
    lead: Callable[[], Awaitable[bool]] | None = None,
) -> Services:
    """`zone` is the default time zone (members who set none), `wake` asks the outbox for an
    early tick, `port` is how the outbox reaches Discord, `observe` counts each delivery, `lead`
    says whether this process is the one that sends (the database's lead when None)."""
    now = clock.now
    leading = lead if lead is not None else db.lead
    members = MemberService(db, zone, now)
    prompting = Prompting(db, library, zone)
    # Following up gently: nudges, activity check-ins, going quiet, depth offers.
    followups = FollowUps(db, library, prompting, zone, nudge_after, now, wake)
    answers = AnswerService(db, library, prompting, now, wake, after_reveal=followups.offer_deeper)
    # Themed weeks: today's plan and a daily cadence while one runs; recaps when it ends.
    challenges = ChallengeService(db, library, prompting, answers, zone, now, wake)
    materialiser = Materialiser(
        prompting, weeks=challenges, quiet=followups, after_held=answers.settle_by_id
    )
    prompt_commands = PromptCommands(db, prompting, now, wake)
    # Trust: export/forget, and servers that removed Closer.
    privacy = PrivacyService(db, now, wake)
    guilds = GuildService(db, now)
    # Friend circles: rounds are rows this producer claims when they come due.
    ahead = ChannelsAhead(db, port, leading)
    circles = CircleService(db, zone, now, wake, ahead.open_ahead)
    # "How close do we feel?": a private check-in every four weeks of a pair.
    closeness = Closeness(db, prompting, zone, now, wake)
    pauses = PausesEnding(db, zone)
    # An invite's DM that fails after `/pair invite` stopped waiting: the inviter hears by DM.
    invites_undelivered = UndeliveredInvites(db, now)
    producers: tuple[Producer, ...] = (
        # First, so a round's old pairs end before a prompt is materialised for them at the
        # very instant the round forms.
        circles.form_due_rounds,
        pauses.resume_due,
        materialiser.materialise,
        guilds.purge_due,
        followups.checkins,
        followups.nudges,
        followups.pace_defaults,
        challenges.tick,
        closeness.schedule,
    )
    outbox = Outbox(
        db,
        port,
        clock,
        producers=producers,
        quiet_until=members.quiet_until,
        before_send={store_closeness.KIND: closeness.still_wanted},
        after_unreachable={undelivered.KIND: invites_undelivered.tell_inviter},
        observe=observe,
        ahead=ahead,
        lead=leading,
    )
    pairs = PairService(db, outbox, prompting, zone, now, wake)
    return Services(
        members=members,
        prompting=prompting,
        followups=followups,
        answers=answers,
        challenges=challenges,
        materialiser=materialiser,
        prompt_commands=prompt_commands,
        privacy=privacy,
        guilds=guilds,
        circles=circles,
        closeness=closeness,
        pauses=pauses,
        outbox=outbox,
        pairs=pairs,
        producers=producers,
    )
