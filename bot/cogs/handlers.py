"""What happens when a member presses a button or submits a modal: call a service, then reply.

Kept apart from the component classes so the routing (custom_id patterns) and the behaviour can
each be read on their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import discord

from bot.cogs.challenge import confirm_replace
from bot.cogs.closer import confirm_forget
from bot.cogs.components import PickSelect, history_view, stored_view
from bot.core.models import Depth, Kind, Relationship
from bot.core.text import ANSWER_LIMIT
from bot.errors import UserFacingError
from bot.services.answers import GUESS_ANSWER_LIMIT, GUESS_LIMIT, WHY_LIMIT, GuessForm
from bot.services.pairs import when_text
from bot.ui import messages
from bot.ui.custom_ids import AnswerModalId, PickId, PickWhyId

if TYPE_CHECKING:
    from bot.compose import Services

# What a confirmation button (`confirm_view`) does when pressed "yes", by what it confirms.
ConfirmHandler = Callable[["Services", discord.Interaction, int, str], Awaitable[None]]
CONFIRMS: Mapping[str, ConfirmHandler] = {"forget": confirm_forget, "replace": confirm_replace}


class AnswerModal(discord.ui.Modal):
    """Shown for Answer; its submission is routed by custom_id (see `Components`)."""

    def __init__(
        self,
        instance_id: int,
        user_id: int,
        prompt_text: str,
        feeling: str | None,
        current: str | None = None,
    ) -> None:
        super().__init__(
            title="Your answer",
            custom_id=AnswerModalId(instance_id, user_id, feeling or None).encode(),
            timeout=None,
        )
        self.answer: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
            label=(prompt_text[:42] + "…") if len(prompt_text) > 45 else (prompt_text or "Answer"),
            custom_id="answer",
            style=discord.TextStyle.paragraph,
            max_length=ANSWER_LIMIT,
            required=True,
            default=current if current else (f"I feel {feeling} " if feeling else None),
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # The Components cog answers every submission, including ones from before a restart.
        return None


def _label(prompt_text: str) -> str:
    return (prompt_text[:42] + "…") if len(prompt_text) > 45 else (prompt_text or "Answer")


class GuessModal(discord.ui.Modal):
    """A guess prompt's form: your answer and your guess, saved together or not at all. It
    shares the answer form's custom_id, so the same route (and restart safety) applies."""

    def __init__(self, instance_id: int, user_id: int, form: GuessForm) -> None:
        super().__init__(
            title="Your answer and your guess",
            custom_id=AnswerModalId(instance_id, user_id).encode(),
            timeout=None,
        )
        self.answer: discord.ui.TextInput[GuessModal] = discord.ui.TextInput(
            label=_label(form.prompt_text),
            custom_id="answer",
            style=discord.TextStyle.paragraph,
            max_length=GUESS_ANSWER_LIMIT,
            required=True,
            default=form.answer,
        )
        self.guess: discord.ui.TextInput[GuessModal] = discord.ui.TextInput(
            label=messages.guess_label(form.partners),
            custom_id="guess",
            style=discord.TextStyle.short,
            max_length=GUESS_LIMIT,
            required=True,
            default=form.guess,
        )
        self.add_item(self.answer)
        self.add_item(self.guess)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        return None


class WhyModal(discord.ui.Modal):
    """After choosing in a pick's menu: an optional line on why, then the pick is saved."""

    def __init__(self, instance_id: int, user_id: int, option: int, label: str) -> None:
        title = f"You picked {label}"
        super().__init__(
            title=title if len(title) <= 45 else title[:44] + "…",
            custom_id=PickWhyId(instance_id, user_id, option).encode(),
            timeout=None,
        )
        self.why: discord.ui.TextInput[WhyModal] = discord.ui.TextInput(
            label="Why? (optional)",
            custom_id="why",
            style=discord.TextStyle.short,
            max_length=WHY_LIMIT,
            required=False,
        )
        self.add_item(self.why)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        return None


class Handlers:
    """What persistent buttons and modals do (they find it as `CloserBot.handlers`); the
    client is only for reading back a DM the member pointed at."""

    def __init__(self, client: discord.Client, services: Services) -> None:
        self.client = client
        self.services = services

    async def invite(self, interaction: discord.Interaction, action: str, invite_id: int) -> None:
        pairs = self.services.pairs
        if action == "accept":
            pair = await pairs.accept(invite_id, interaction.user.id)
            plan = await pairs.status(pair, interaction.user.id)
            partner = ", ".join(plan.partners)
            slot = plan.next_prompts.get(interaction.user.id)
            when = f" Your first prompt comes {when_text(slot)}." if slot else ""
            await interaction.response.edit_message(
                content=f"You and **{partner}** are paired {messages.AS_WHAT[pair.relationship]}."
                f"{when} "
                "When you've both answered, you'll each see the other's answer.",
                embed=None,
                view=None,
            )
        else:
            await pairs.decline(invite_id, interaction.user.id)
            await interaction.response.edit_message(
                content="You declined this invite. No hard feelings — they'll only hear it "
                "wasn't accepted.",
                embed=None,
                view=None,
            )

    async def relationship(
        self,
        interaction: discord.Interaction,
        accept: bool,
        pair_id: int,
        proposer_id: int,
        kind: Relationship,
    ) -> None:
        now = await self.services.pairs.answer_relationship(
            pair_id, interaction.user.id, proposer_id, kind, accept
        )
        text = (
            f"Done — you're now paired {messages.AS_WHAT[now]}. Your prompts will suit that."
            if accept
            else "Okay, nothing changes. They'll only hear that you'd rather keep things as "
            "they are."
        )
        await interaction.response.edit_message(content=text, embed=None, view=None)

    async def prompt(
        self,
        interaction: discord.Interaction,
        action: str,
        instance_id: int,
        feeling: str | None = None,
    ) -> None:
        answers = self.services.answers
        user_id = interaction.user.id
        if action in ("answer", "edit"):
            instance = await answers.check_answerable(instance_id, user_id)
            modal: discord.ui.Modal
            if instance.kind == Kind.PICK.value:
                # A nudge's Answer on a pick: the same menu, here and now.
                options = await answers.pick_options(instance_id, user_id)
                view = discord.ui.View(timeout=None)
                view.add_item(PickSelect(PickId(instance_id, user_id), options))
                await interaction.response.send_message(
                    messages.embed_free_pick_text(answers.text_of(instance)),
                    view=view,
                    ephemeral=True,
                )
                view.stop()
                return
            if instance.kind == Kind.GUESS.value:
                modal = GuessModal(
                    instance_id, user_id, await answers.guess_form(instance_id, user_id)
                )
            else:
                current = await answers.current_answer(instance_id, user_id)
                modal = AnswerModal(
                    instance_id, user_id, answers.text_of(instance), feeling, current
                )
            await interaction.response.send_modal(modal)
            modal.stop()
            return
        if action == "skip":
            await answers.skip(instance_id, user_id)
            text = messages.SKIPPED_TEXT
        elif action == "later":
            text = (
                messages.LATER_TEXT
                if await answers.later(instance_id, user_id)
                else messages.LATER_AGAIN_TEXT
            )
        elif action in ("done", "notnow"):
            await answers.activity_outcome(instance_id, user_id, action == "done")
            text = (
                "Lovely. I'll check in tomorrow to hear how it went."
                if action == "done"
                else "That's okay — there's always another day."
            )
        elif action == "share":
            partners = await answers.share(instance_id, user_id)
            text = f"Shared with {messages.names(partners)}."
        elif action == "start":
            text = await self.services.challenges.press_start(instance_id, user_id)
        else:
            raise UserFacingError("That button isn't available yet.")
        await interaction.response.send_message(text, ephemeral=True)

    async def picked(self, interaction: discord.Interaction, instance_id: int, option: int) -> None:
        """A choice in a pick's menu: ask for an optional why, then save both together."""
        options = await self.services.answers.pick_options(instance_id, interaction.user.id)
        if not 0 <= option < len(options):
            raise UserFacingError("Please pick one of the options.")
        modal = WhyModal(instance_id, interaction.user.id, option, options[option])
        await interaction.response.send_modal(modal)
        modal.stop()

    async def pick_submitted(
        self, interaction: discord.Interaction, instance_id: int, option: int, why: str
    ) -> None:
        result = await self.services.answers.submit_pick(
            instance_id, interaction.user.id, option, why or None
        )
        payload = messages.saved_message(result, interaction.user.id)
        await interaction.response.send_message(payload.get("content", ""), ephemeral=True)

    async def answer_submitted(
        self,
        interaction: discord.Interaction,
        instance_id: int,
        text: str,
        feeling: str | None,
        guess: str | None = None,
    ) -> None:
        result = await self.services.answers.submit(
            instance_id, interaction.user.id, text, feeling, guess=guess
        )
        payload = messages.saved_message(result, interaction.user.id)
        view = stored_view(payload)
        await interaction.response.send_message(
            payload.get("content", ""), view=view or discord.utils.MISSING, ephemeral=True
        )
        if view is not None:
            view.stop()

    async def choose(
        self, interaction: discord.Interaction, message_id: int, instance_id: int, until: int
    ) -> None:
        """The member picked which prompt their DM was for: read it back and save it there."""
        if self.services.answers.now().timestamp() > until:
            await interaction.response.edit_message(
                content="That question has expired, so nothing was saved. Send your answer "
                "again whenever you like — or reply to the prompt itself.",
                view=None,
            )
            return
        channel = self.client.get_partial_messageable(interaction.channel_id or 0)
        try:
            original = await channel.fetch_message(message_id)
        except discord.NotFound:
            raise UserFacingError(
                "I can't find that message any more, so nothing was saved. Could you send it again?"
            ) from None
        result = await self.services.answers.submit(
            instance_id, interaction.user.id, original.content
        )
        payload = messages.saved_message(result, interaction.user.id)
        view = stored_view(payload)
        await interaction.response.edit_message(content=payload.get("content", ""), view=view)
        if view is not None:
            view.stop()

    async def pace(self, interaction: discord.Interaction, choice: str, pair_id: int) -> None:
        text = await self.services.followups.choose_pace(pair_id, interaction.user.id, choice)
        # Keep the buttons: the member may change their mind from the same message later.
        await interaction.response.send_message(text, ephemeral=True)

    async def history(self, interaction: discord.Interaction, page: int) -> None:
        """Prev/Next on /closer history: replace the page in place."""
        shown = await self.services.followups.history(interaction.user.id, page)
        view = history_view(shown.page, shown.pages, interaction.user.id)
        await interaction.response.edit_message(
            content=shown.payload.get("content"),
            embeds=[discord.Embed.from_dict(e) for e in shown.payload.get("embeds", [])],
            view=view,
        )
        if view is not None:
            view.stop()

    async def deeper(
        self, interaction: discord.Interaction, yes: bool, pair_id: int, depth: Depth
    ) -> None:
        if not yes:
            await self.services.pairs.not_yet_deeper(pair_id, interaction.user.id, depth)
            await interaction.response.edit_message(
                content="No problem — you'll stay where you are. I'll ask again in about four "
                "weeks, and nobody else is told.",
                embed=None,
                view=None,
            )
            return
        moved = await self.services.pairs.vote_deeper(pair_id, interaction.user.id, depth)
        text = (
            "You're both in — deeper prompts from here on."
            if moved
            else "Noted. You'll move deeper only if your partner says yes too."
        )
        await interaction.response.edit_message(content=text, embed=None, view=None)

    async def confirm(
        self, interaction: discord.Interaction, what: str, yes: bool, target: int, extra: str
    ) -> None:
        if not yes:
            await interaction.response.edit_message(content="Okay, nothing changed.", view=None)
            return
        if what == "end":
            pair = await self.services.pairs.end(target, interaction.user.id)
            names = await self.services.pairs.partner_names(pair, interaction.user.id)
            await interaction.response.edit_message(
                content=f"Your pair with {messages.names(names)} has ended. They've been told "
                "kindly. Your history stays until you use /closer forget.",
                view=None,
            )
            return
        handler = CONFIRMS.get(what)
        if handler is None:
            raise UserFacingError("That confirmation has expired.")
        await handler(self.services, interaction, target, extra)
