"""Everything Closer says in DMs, in one place and one voice (see the voice guide).

Warm, short, plain; at most one emoji; never guilt. Builders return `MessagePayload` data so the
outbox can store a message and send it later, after a restart if need be.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from bot.core.models import Depth, Kind, Prompt, Relationship
from bot.ui.custom_ids import DEPTHS, RELATIONSHIPS, one_of
from bot.ui.payload import (
    AnswerView,
    DeeperView,
    InviteView,
    MessagePayload,
    PaceView,
    PromptView,
    RelationshipView,
    SavedView,
    embed,
    stored,
)

__all__ = ["MessagePayload"]


class AnswerResultLike(Protocol):
    @property
    def instance_id(self) -> int: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def partners(self) -> list[str]: ...
    @property
    def replaced(self) -> bool: ...
    @property
    def revealed(self) -> bool: ...


def names(people: list[str]) -> str:
    if not people:
        return "your partner"
    if len(people) == 1:
        return people[0]
    return ", ".join(people[:-1]) + " and " + people[-1]


def privacy_line(partners: list[str]) -> str:
    everyone = "both" if len(partners) <= 1 else "all"
    return f"Only {names(partners)} will see your answer, once you've {everyone} answered."


def prompt_message(
    prompt: Prompt,
    *,
    instance_id: int,
    user_id: int,
    partners: list[str],
    note: str | None = None,
    start: bool = False,
) -> MessagePayload:
    """`start`: a timed together-activity (themed weeks): adds a Start button for each partner."""
    start = start and prompt.kind is Kind.ACTIVITY and bool(prompt.minutes)
    fields: list[tuple[str, str]] = []
    if prompt.kind is Kind.ACTIVITY and prompt.minutes:
        fields.append(("Time", f"About {prompt.minutes} minutes, together or on a call"))
    if prompt.kind is Kind.ACTIVITY:
        footer = f"Something to do with {names(partners)} — no screens needed to reply."
    elif prompt.kind is Kind.GUESS:
        footer = guess_footer(partners)
    elif prompt.kind is Kind.PICK:
        footer = (
            "Pick from the menu (a line on why is optional). You'll see whether you matched "
            f"once {names(partners)} {'has' if len(partners) <= 1 else 'have'} picked too."
        )
    elif prompt.kind is Kind.REFLECTION:
        footer = "A note for yourself. It stays private unless you choose to share it."
    else:
        footer = privacy_line(partners)
    if start:
        footer = f"Press Start when you're ready; I'll keep time once {names(partners)} does too."
    text = prompt.text
    if prompt.depth is Depth.DEEP:
        text = f"{text}\n\n*{OPT_OUT_LINE}*"
    description = text if note is None else f"*{note}*\n\n{text}"
    view = PromptView(
        user=user_id,
        instance=instance_id,
        activity=prompt.kind is Kind.ACTIVITY,
        # A guess or a pick has its own form or menu; the feelings list is for written answers.
        feelings=prompt.category.value == "feelings"
        and prompt.kind in (Kind.QUESTION, Kind.REFLECTION),
        start=start,
        options=tuple(prompt.options) if prompt.kind is Kind.PICK else (),
    )
    message: MessagePayload = {
        "embed": embed(prompt.category.label, description, footer=footer, fields=fields),
        "view": stored(view),
    }
    if view.feelings:
        from bot.ui.feelings import WHEEL_FILE, wheel_file

        # The wheel beside the picker; its words are in the picker itself, so no second list.
        message["files"] = [wheel_file()]
        message["embed"]["image"] = {"url": f"attachment://{WHEEL_FILE}"}
        message["content"] = "-# Picture: a feelings wheel; its words are in the list below."
    return message


OPT_OUT_LINE = "Only if you'd like to — skipping is always fine."
"""Added under every deep prompt by the renderer, so no pack has to remember it."""

AS_WHAT = {
    Relationship.PARTNERS: "as partners",
    Relationship.FRIENDS: "as friends",
    Relationship.FAMILY: "as family",
    Relationship.CIRCLE: "in a circle round",
}


def invite_message(
    invite_id: int,
    invitee_id: int,
    inviter: str,
    when: str,
    relationship: Relationship = Relationship.PARTNERS,
) -> MessagePayload:
    return {
        "embed": embed(
            "An invitation to grow closer",
            f"**{inviter}** would like to pair with you {AS_WHAT[relationship]} on Closer: one "
            f"small prompt {when}, in DMs, just for the two of you. Answers stay between you.",
            footer="No pressure either way. This invite expires in 7 days.",
        ),
        "view": stored(InviteView(user=invitee_id, invite=invite_id)),
    }


def paired_message(partner: str, when: str, relationship: Relationship) -> MessagePayload:
    sentence = (
        f"This round, you're paired with **{partner}**."
        if relationship is Relationship.CIRCLE
        else f"You and **{partner}** are paired {AS_WHAT[relationship]}."
    )
    return {
        "embed": embed(
            "You're paired",
            f"{sentence} Your first prompt comes {when}. "
            "When you've both answered, you'll each see the other's answer.",
            footer="/pair status shows what's next; /pair pause gives you a break anytime.",
        )
    }


def relationship_proposal_message(
    pair_id: int,
    user_id: int,
    proposer_id: int,
    proposer: str,
    current: Relationship,
    proposed: Relationship,
) -> MessagePayload:
    return {
        "embed": embed(
            "A change of relationship?",
            f"**{proposer}** would like your Closer pair to be {AS_WHAT[proposed]} rather than "
            f"{AS_WHAT[current]}. That changes which prompts you both get. Nothing changes "
            "unless you accept.",
            footer="No pressure either way; they'll only hear your answer.",
        ),
        "view": stored(
            RelationshipView(
                user=user_id,
                pair=pair_id,
                proposer=proposer_id,
                relationship=one_of(RELATIONSHIPS, proposed.value, "friends"),
            )
        ),
    }


def relationship_answer_message(
    partner: str, proposed: Relationship, accepted: bool
) -> MessagePayload:
    if accepted:
        return {
            "content": f"{partner} said yes: you're now paired {AS_WHAT[proposed]}, and your "
            "prompts will suit that from the next one."
        }
    return {
        "content": f"{partner} would rather keep things as they are for now, so your pair "
        "stays the same. That's okay — nothing else changes."
    }


def invite_declined_message(invitee: str) -> MessagePayload:
    return {"content": f"Your invite to {invitee} wasn't accepted this time. That's okay."}


def invite_closed_dms_text(invitee: str) -> str:
    """Told to the inviter when the invite's DM could not reach the invitee."""
    return (
        f"I couldn't send {invitee} a DM: their DMs are closed to me. They can turn on Direct "
        "Messages for this server (server name → Privacy Settings), then invite them again."
    )


def invite_undelivered_message(invitee: str, relationship: Relationship) -> MessagePayload:
    return {
        "content": f"About your invite to {invitee} to pair {AS_WHAT[relationship]}: "
        f"{invite_closed_dms_text(invitee)} I've cancelled this one."
    }


def partner_paused_message(partner: str, days: int) -> MessagePayload:
    return {
        "content": f"{partner} paused your prompts for {days} day{'s' if days != 1 else ''}. "
        "Nothing you need to do — they'll pick up again on their own."
    }


def partner_resumed_message(partner: str) -> MessagePayload:
    return {"content": f"{partner} resumed your prompts. The next one comes at the usual time."}


def pair_ended_message(partner: str) -> MessagePayload:
    return {
        "content": f"Your Closer pair with {partner} has ended. Thank you for the time you "
        "gave it. Your history stays until you choose /closer forget."
    }


def schedule_changed_message(partner: str, when: str) -> MessagePayload:
    return {"content": f"{partner} moved your prompts: they now come {when}."}


def pace_changed_message() -> MessagePayload:
    return {"content": "Your pair's pace has changed a little. Prompts will keep coming gently."}


def depth_offer_message(pair_id: int, user_id: int, depth: str) -> MessagePayload:
    return {
        "embed": embed(
            "Go a little deeper?",
            "You've shared a few answers now. Would you like prompts that are a bit more "
            "personal? You'll only move on if you both say yes, and either of you can step "
            "back anytime with /pair depth. If you'd like more support than prompts can "
            "give, /closer resources lists places to find it.",
            footer="Not yet is a fine answer: I'll ask again in about four weeks.",
        ),
        "view": stored(
            DeeperView(user=user_id, pair=pair_id, depth=one_of(DEPTHS, depth, "medium"))
        ),
    }


def deeper_now_message(depth: str) -> MessagePayload:
    return {
        "content": f"You both said yes — your prompts will now include some {depth} ones. "
        "Step back anytime with /pair depth."
    }


def _said(name: str, text: str, feeling: str | None = None) -> dict[str, Any]:
    """One person's answer, whole, in an embed of its own (answers are at most 2,000
    characters; an embed description holds 4,096)."""
    value = (
        f"*I feel {feeling}.* {text}" if feeling and not text.lower().startswith("i feel") else text
    )
    return embed(None, value, author=f"{name} wrote")


def reveal_message(prompt_text: str, answers: list[tuple[str, str, str | None]]) -> MessagePayload:
    """The prompt, then each partner's whole answer. Two answers of the longest kind plus the
    prompt stay under Discord's 6,000 characters per message."""
    head = embed(
        "You've both answered" if len(answers) <= 1 else "You've all answered",
        prompt_text,
        footer="Just between you. A kind word back goes a long way.",
    )
    return {"embeds": [head, *(_said(name, text, feeling) for name, text, feeling in answers)]}


def guess_footer(partners: list[str]) -> str:
    """A trio guesses once, for the others together: one form holds it, and it stays a game."""
    if len(partners) <= 1:
        return (
            f"Answer for yourself, then guess what {names(partners)} would say. You'll see both "
            "answers and both guesses once you've both answered."
        )
    return (
        f"Answer for yourself, then guess what most of {names(partners)} would say. You'll see "
        "every answer and guess once you've all answered."
    )


def guess_label(partners: list[str]) -> str:
    """The guess field's label (Discord allows 45 characters)."""
    label = (
        f"Your guess for {partners[0]}"
        if len(partners) == 1
        else "What would most of them say?"
        if partners
        else "Your guess for your partner"
    )
    return label if len(label) <= 45 else label[:44] + "…"


class Said(NamedTuple):
    """One person's side of a guess or a pick: "You" for the reader."""

    name: str
    text: str
    extra: str | None  # their guess (guess prompts) or their why (picks)


def _guessed(person: Said, people: list[Said]) -> tuple[str, str] | None:
    """The guess shown beside a person's answer: in a pair, what the other guessed for them;
    in a group, the person's own guess for the others."""
    if len(people) == 2:
        other = people[1] if person is people[0] else people[0]
        if other.extra is None:
            return None
        return (f"{other.name} guessed", other.extra)
    if person.extra is None:
        return None
    whose = "Your guess" if person.name == "You" else f"{person.name}'s guess"
    return (f"{whose} for the others", person.extra)


def guess_reveal_message(prompt_text: str, people: list[Said]) -> MessagePayload:
    """Each answer whole, with the guess made for it beside it, one embed per person."""
    head = embed(
        "You've both answered — and guessed"
        if len(people) <= 2
        else "You've all answered — and guessed",
        prompt_text,
        footer="Just between you. Close, or way off? Either is worth a chat.",
    )
    bodies = []
    for person in people:
        guessed = _guessed(person, people)
        bodies.append(
            embed(
                None,
                person.text,
                author=f"{person.name} wrote",
                fields=[guessed] if guessed else None,
            )
        )
    return {"embeds": [head, *bodies]}


def pick_line(people: list[Said]) -> str:
    picks = {p.text for p in people}
    if len(picks) == 1 and len(people) > 1:
        everyone = "both" if len(people) == 2 else "all"
        return f"You {everyone} picked {people[0].text}"
    parts = [f"{p.name} picked {p.text}" for p in people]
    return names(parts) if len(parts) > 2 else ", ".join(parts)


def pick_reveal_message(prompt_text: str, people: list[Said]) -> MessagePayload:
    """Whether you matched, in one line, then any whys, each in an embed of its own."""
    line = pick_line(people)
    head = embed(
        line if len(line) <= 256 else line[:255] + "…",
        prompt_text,
        footer="Just between you. Matched or not, the why is the fun part.",
    )
    whys = [
        embed(None, person.extra, author=f"{person.name} wrote why")
        for person in people
        if person.extra
    ]
    return {"content": f"{line}.", "embeds": [head, *whys]}


def stays_private_message(prompt_text: str, skipped_by: list[str]) -> MessagePayload:
    return {
        "content": f"{names(skipped_by)} passed on this one, so your answer stays private. "
        "Thank you for writing it all the same.",
        "embed": embed(None, prompt_text),
    }


def shared_reflection_message(author: str, prompt_text: str, text: str) -> MessagePayload:
    return {
        "embeds": [
            embed(f"{author} shared a reflection with you", prompt_text),
            _said(author, text),
        ]
    }


def answer_saved_text(partners: list[str], replaced: bool, revealed: bool) -> str:
    """Every confirmation names whom the answer is for, so a slip is visible at once."""
    who = names(partners)
    if revealed:
        everyone = "You've both" if len(partners) <= 1 else "Everyone has"
        return f"Saved for {who}. {everyone} answered — I've sent you each other's answers."
    if replaced:
        return f"Updated your answer for {who}. You can change it until they've answered too."
    whose = "their answer" if len(partners) <= 1 else "their answers"
    return f"Saved for {who}. You'll see {whose} once they've answered too."


def reflection_saved_text() -> str:
    return "Saved, just for you. Press Share if you'd like your partner to read it."


def saved_message(result: AnswerResultLike, user_id: int) -> MessagePayload:
    """The reply to a saved answer: whom it is for, with Edit (and Share for a reflection)."""
    if result.kind is Kind.REFLECTION:
        return {
            "content": f"Saved, just for you. Press Share if you'd like {names(result.partners)} "
            "to read it.",
            "view": stored(SavedView(user=user_id, instance=result.instance_id, reflection=True)),
        }
    text = answer_saved_text(result.partners, result.replaced, result.revealed)
    if result.kind is Kind.PICK:
        if result.revealed:
            return {"content": text.replace("answer", "pick")}
        return {"content": f"{text} To change your pick, choose again from the menu."}
    if result.revealed:
        return {"content": text}
    return {
        "content": text,
        "view": stored(SavedView(user=user_id, instance=result.instance_id)),
    }


def which_prompt_text(count: int) -> str:
    if count == 1:
        return (
            "You've already answered this one. Replace your answer with this message? "
            "Nothing changes unless you press the button."
        )
    return (
        f"You have {count} prompts this could be for. Which one? Nothing is saved until you "
        "pick. (Tip: use Discord's Reply on a prompt to answer it directly.)"
    )


def choice_label(partners: list[str], opening: str, answered: bool) -> str:
    verb = "Replace my answer for" if answered else "For"
    return f"{verb} {names(partners)}: {opening}"


def embed_free_pick_text(prompt_text: str) -> str:
    return f"{prompt_text}\nPick one below; you can add a line on why."


SKIPPED_TEXT = "Skipped. No questions asked."
LATER_TEXT = "Okay — I'll bring this one back in about 3 hours."
LATER_AGAIN_TEXT = "It's already coming back later. It will be here when you're ready."


# Following up gently (nudges, check-ins, going quiet, history) ------------------------------


def nudge_message(
    prompt_text: str, *, instance_id: int, user_id: int, answered_by: list[str]
) -> MessagePayload:
    # At most one per prompt (voice guide): an invitation, never a countdown or a guilt trip.
    if answered_by:
        verb = "has" if len(answered_by) == 1 else "have"
        content = f"{names(answered_by)} {verb} answered — yours is here whenever you're ready."
    else:
        content = "No rush — today's question is still here if you'd like it."
    return {
        "content": content,
        "embed": embed(None, prompt_text),
        "view": stored(AnswerView(user=user_id, instance=instance_id)),
    }


CHECKIN_NOTE = "How did it go?"


def pace_ask_message(pair_id: int, user_id: int, partners: list[str]) -> MessagePayload:
    return {
        "embed": embed(
            "How would you like your prompts?",
            "Life gets full, and the last few prompts slipped by — that's okay. I've stopped "
            "sending new ones for now. Would a gentler pace suit you better?",
            footer=f"Whatever you choose, {names(partners)} will only hear that the pace "
            "changed, not why.",
        ),
        "view": stored(PaceView(user=user_id, pair=pair_id)),
    }


def pace_default_message() -> MessagePayload:
    return {
        "content": "I didn't hear back, so your prompts will come once a week for now. "
        "If you'd like another pace, the buttons on my earlier message still work."
    }


PACE_CHOSEN = {
    "weekly": "Done — your prompts will come once a week. You can change this from the same "
    "message anytime.",
    "pause": "Paused for two weeks. Prompts pick up again on their own after that.",
    "keep": "Lovely — prompts will keep coming at the usual time.",
}


def kept_for_you_message(prompt_text: str) -> MessagePayload:
    return {
        "content": "This one won't be shared this time, so your answer stays just with you. "
        "Thank you for writing it.",
        "embed": embed(None, prompt_text),
    }


REMOVED_ANSWER = "*an answer that was removed*"
