"""`python -m bot sandbox`: a simulated week of Closer, offline, printed as a transcript.

The real bot runs against the local Discord with a temporary database and a driven clock; scripted
members use it exactly as people would (slash commands, buttons, modals, DMs). The transcript is
what each member saw in their DMs, day by day, in their own local time.
"""

from __future__ import annotations

import logging
import random
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.library.loader import load_library
from bot.playground.world import START, World
from bot.sandbox.driver import DriverError, Member, Reply, walk_components
from bot.sandbox.server import Sandbox
from bot.settings import default_prompts_dir

# Scripted answers fit the question: the first topic whose pattern the prompt's words match
# gives the pool, and partners never give the same one to the same prompt.
TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        r"how did it go|how was it|what did you order",
        (
            "Lovely. We ordered too much and shared all of it.",
            "Good! Slow service, great company.",
            "Better than expected — we stayed for dessert.",
        ),
    ),
    (
        r"thank them|like to be thanked|how do you (?:usually )?thank",
        (
            "A message the same day, and a small favour back later.",
            "A hug if I can, a voice note if I can't.",
            "Returning the favour. Saying it out loud is harder for me.",
        ),
    ),
    (
        r"ahead|last-minute|spontaneous",
        (
            "Ahead, mostly. I like having something to look forward to.",
            "Last-minute, honestly. The best evenings are unplanned.",
            "A mix: a plan for the weekend, surprises in the week.",
        ),
    ),
    (
        r"birthday",
        (
            "A long walk somewhere new, then a picnic.",
            "A sunrise swim, then cake with whoever's around.",
            "Breakfast in bed and a film with friends.",
        ),
    ),
    (
        r"how many|how long|last without",
        (
            "Two days, tops.",
            "A week, if someone hid the charger.",
            "Half a day. I'm not proud of it.",
            "Honestly? Ages, if the weather's good.",
        ),
    ),
    (
        r"free day|first hour|morning|spend",
        (
            "A long breakfast and a walk, phone in a drawer.",
            "Coffee by the window, then a swim.",
            "Reading in bed until I'm properly hungry.",
        ),
    ),
    (
        r"screen|phone|app\b|unplug|offline",
        (
            "Odd for five minutes, then lovely. I noticed the birds for once.",
            "I reached for my pocket twice, then forgot about it. Calmer than I expected.",
            "Slower, in a good way. We talked about things we'd normally scroll past.",
            "Quiet. I'd happily do it again on Sunday.",
        ),
    ),
    (
        r"smell|scent",
        (
            "Cut grass — summers at my gran's, instantly.",
            "Sun cream. Every beach holiday at once.",
            "Bread baking; the bakery under my first flat.",
        ),
    ),
    (
        r"food|dish|snack|eat|cook|recipe|meal",
        (
            "Ramen with a soft egg, eaten far too fast.",
            "Cheese on toast. It never lets me down.",
            "My dad's lentil soup — I still can't make it like he does.",
            "Anything with too much garlic.",
        ),
    ),
    (
        r"film|show|book|song|music|video",
        (
            "The Princess Bride. I can still quote most of it.",
            "An old Fleetwood Mac album my mum played on every car trip.",
            "A nature documentary about octopuses. I was hooked for a week.",
        ),
    ),
    (
        r"laugh|funny|joke",
        (
            "The time the cat fell into the bath. I still laugh thinking of it.",
            "Any video of a dog sliding on a wooden floor.",
            "My brother's terrible impression of our old teacher.",
        ),
    ),
    (
        r"sorry|apolog|forg",
        (
            "I brush it off with a smile, then feel a bit awkward about it.",
            "I say 'no worries' before they've finished the sentence.",
            "A short, real sorry lands best. No big speech needed.",
        ),
    ),
    (
        r"thank|appreciat|grateful|made your day|smile",
        (
            "You checking in on me last Tuesday. It mattered more than I said.",
            "That you remember the small things. It makes me feel seen.",
            "The voice note on Thursday morning. I played it twice.",
        ),
    ),
    (
        r"plan|weekend|hangout|next (?:two )?weeks?|together",
        (
            "A slow breakfast somewhere with big windows, no rush.",
            "A walk by the river, then whatever we feel like.",
            "A film night with the good snacks. Small but lovely.",
        ),
    ),
    (
        r"try|new|first time|learn",
        (
            "Drawing again, badly and happily. Step one: buy a pencil.",
            "I went bouldering for the first time. Sore, proud, going back.",
            "Learning a few words of Portuguese; I'm at 'bread' and 'thank you'.",
        ),
    ),
    (
        r"city|live|place|where|weather",
        (
            "Lisbon: the light, the hills, the custard tarts.",
            "Grey, drizzly, cosy — and a kettle going 'fsssh'.",
            "I'd miss the corner café where they know my order.",
        ),
    ),
    (
        r"worry|envy|hop|afraid|scar",
        (
            "Whether I'm doing enough at work. Writing it down makes it smaller.",
            "I'm quietly hoping to run a 10k by autumn.",
            "A bit of envy at a friend's new job. I think I want more change too.",
        ),
    ),
    (
        r"anniversar|celebrat|milestone|kept up",
        (
            "My running habit: six years this spring.",
            "The day we first talked for hours. Cake, obviously.",
            "My sourdough starter. It's older than my flat lease.",
        ),
    ),
    (
        r"met\b|meet|introduce|notice|three words|first impression",
        (
            "Your laugh. It carried across the whole room.",
            "Curious, stubborn, kind — curious feels most true today.",
            "I notice voices first. Yours is easy to listen to.",
        ),
    ),
    (
        r"feel|felt|mood",
        (
            "Lighter than I expected — the morning walk helped.",
            "A bit scattered, then steadier once I'd eaten.",
            "Settled. Nothing big, just a good ordinary day.",
        ),
    ),
)
ANSWERS = (
    "I'd love more slow mornings like the one in the spring.",
    "Probably patience — I'm learning it slowly.",
    "Being outside without a plan. That's when I feel most like me.",
    "Honestly, a good long chat like this one.",
    "Something small: a proper cup of tea and nowhere to be.",
)
WHYS = (
    "It just feels like me.",
    "Easy one, honestly.",
    "Fewer people, more quiet.",
    "Ask me again tomorrow and I might switch.",
)
_TOPICS = tuple((re.compile(rf"\b(?:{words})", re.IGNORECASE), pool) for words, pool in TOPICS)


def answers_for(prompt_text: str) -> tuple[str, ...]:
    """The answers that suit this prompt: the first topic it mentions, else everyday ones."""
    for pattern, pool in _TOPICS:
        if pattern.search(prompt_text):
            return pool
    return ANSWERS


FEELINGS = ("hopeful", "tired", "grateful", "calm", "curious", "proud")


@dataclass
class Person:
    member: Member
    zone: str
    answer_rate: float = 0.9
    goes_quiet_after: int | None = None  # day index after which they stop answering
    prompts_seen: int = 0


@dataclass
class Stats:
    counts: Counter[str] = field(default_factory=Counter)


class Transcript:
    def __init__(self, out: TextIO, quiet: bool) -> None:
        self.out, self.quiet = out, quiet

    def line(self, text: str = "") -> None:
        if not self.quiet:
            self.out.write(text + "\n")

    def always(self, text: str = "") -> None:
        self.out.write(text + "\n")


def local(now: datetime, zone: str) -> str:
    return now.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")


def labels(reply: Reply) -> list[str]:
    return [str(c.get("label")) for c in walk_components(reply.components) if c.get("type") == 2]


TIMESTAMP = re.compile(r"<t:(\d+):([a-zA-Z])>")


def humanise(text: str, zone: str) -> str:
    """Discord renders <t:…> in each reader's own time zone; the transcript does the same."""

    def one(match: re.Match[str]) -> str:
        at = datetime.fromtimestamp(int(match[1]), ZoneInfo(zone))
        return "" if match[2] == "R" else at.strftime("%a %-d %b %H:%M")

    text = TIMESTAMP.sub(one, text).replace("()", "").replace("**", "").replace("*", "")
    return " ".join(text.split())


def _said(embed: dict[str, Any]) -> str:
    name = str((embed.get("author") or {}).get("name", ""))
    line = f"{name}: “{embed.get('description', '')}”"
    for f in embed.get("fields") or []:  # a guessing game: the guess beside the answer
        line += f" ({f.get('name')}: “{f.get('value')}”)"
    return line


def summarise(reply: Reply, zone: str = "UTC", width: int = 150) -> str:
    said = [
        _said(e)
        for e in reply.embeds
        if str((e.get("author") or {}).get("name", "")).endswith((" wrote", " wrote why"))
    ]
    if " picked " in reply.content and reply.embeds:  # a this-or-that's reveal
        return humanise("; ".join([reply.content, *said]), zone)
    if said:  # a reveal: whose words, in full, rather than the prompt's footer
        title = str(reply.embeds[0].get("title") or "")
        return humanise(f"{title} — " + "; ".join(said), zone)
    text = humanise(reply.text, zone)
    buttons = labels(reply)
    suffix = f"  [{' · '.join(buttons)}]" if buttons else ""
    return (text[: width - 1] + "…" if len(text) > width else text) + suffix


class Demo:
    def __init__(self, world: World, people: dict[str, Person], seed: int, out: Transcript) -> None:
        self.world = world
        self.people = people
        self.rng = random.Random(seed)  # noqa: S311 - scripted behaviour, not security
        self.out = out
        self.stats = Stats()
        self.day = 0
        self.given: dict[str, set[str]] = {}  # prompt text -> answers already given to it

    async def command(self, who: str, path: str, **options: object) -> Reply | None:
        person = self.people[who]
        shown = " ".join(f"{k}:{getattr(v, 'name', v)}" for k, v in options.items())
        self.out.line(
            f"  {local(self.world.clock.now(), person.zone)}  {who} → /{path} {shown}".rstrip()
        )
        try:
            reply = await (await person.member.slash(path, **options)).reply()
        except DriverError as exc:
            self.out.line(f"      (skipped: {exc})")
            return None
        self.out.line(f"      ↳ {summarise(reply, person.zone)}")
        return reply

    async def react(self, name: str, dm: Reply) -> None:
        person = self.people[name]
        buttons = labels(dm)
        quiet = person.goes_quiet_after is not None and self.day > person.goes_quiet_after
        if {"1", "7", "Skip"} <= set(buttons):  # the closeness check-in
            await self._press(person, dm, self.rng.choice(("4", "5", "6")))
            return
        if "Weekly instead" in buttons:
            await self._press(person, dm, "Weekly instead")
            return
        if "Accept" in buttons:
            await self._press(person, dm, "Accept")
            return
        if "Yes, a little deeper" in buttons:
            await self._press(person, dm, "Yes, a little deeper")
            return
        if "Start" in buttons and not quiet:
            await self._press(person, dm, "Start")
            return
        if "We did it" in buttons:
            if quiet:
                return
            person.prompts_seen += 1
            await self._press(
                person, dm, "We did it" if self.rng.random() < 0.8 else "Not this time"
            )
            return
        menu = next((i for i in dm.custom_ids() if i.startswith("closer:pick:")), None)
        if menu is not None:
            person.prompts_seen += 1
            if not quiet:  # a this-or-that takes a second; everyone plays
                await self._pick(person, dm, menu)
            return
        if "Answer" in buttons:
            person.prompts_seen += 1
            guessing = "guess what" in dm.text
            if quiet or (not guessing and self.rng.random() > person.answer_rate):
                self.stats.counts["left unanswered"] += 1
                return
            await (self._guess(person, dm) if guessing else self._answer(person, dm))

    async def _press(self, person: Person, dm: Reply, label: str) -> None:
        self.out.line(f"      {person.member.name} presses “{label}”")
        try:
            reply = await (await person.member.click(dm, label)).reply()
        except DriverError as exc:
            self.out.line(f"      (no reply: {exc})")
            return
        self.stats.counts[f"pressed {label}"] += 1
        self.out.line(f"      ↳ {summarise(reply, person.zone)}")

    def _fitting(self, dm: Reply) -> str:
        """An answer that suits the prompt, different from anyone's earlier one to it."""
        prompt = " ".join(str(e.get("description") or "") for e in dm.embeds) or dm.text
        given = self.given.setdefault(prompt, set())
        pool = [a for a in answers_for(prompt) if a not in given]
        text = self.rng.choice(pool or [a for a in ANSWERS if a not in given] or list(ANSWERS))
        given.add(text)
        return text

    async def _guess(self, person: Person, dm: Reply) -> None:
        """A guessing game: their own answer and a guess at the partner's, in the form."""
        text = self._fitting(dm)
        prompt = " ".join(str(e.get("description") or "") for e in dm.embeds)
        guess = self.rng.choice([a for a in answers_for(prompt) if a != text] or list(ANSWERS))
        guess = guess.split(".")[0].split(" — ")[0].split(";")[0]
        try:
            modal = await (await person.member.click(dm, "Answer")).modal()
            handle = await person.member.submit_modal(modal, {"answer": text, "guess": guess})
            reply = await handle.reply()
        except DriverError as exc:
            self.out.line(f"      (could not answer: {exc})")
            return
        self.stats.counts["answers"] += 1
        self.out.line(f"      {person.member.name} answers “{text}” and guesses “{guess}”")
        self.out.line(f"      ↳ {summarise(reply, person.zone)}")

    async def _pick(self, person: Person, dm: Reply, menu: str) -> None:
        """A this-or-that: choose in the menu on the prompt, sometimes with a line on why."""
        options = next(
            (
                c.get("options") or []
                for c in walk_components(dm.components)
                if c.get("custom_id") == menu
            ),
            [],
        )
        if not options:
            return
        choice = self.rng.randrange(len(options))
        why = self.rng.choice(WHYS) if self.rng.random() < 0.6 else ""
        try:
            handle = await person.member.click(dm, menu, values=[str(choice)])
            modal = await handle.modal()
            reply = await (await person.member.submit_modal(modal, {"why": why})).reply()
        except DriverError as exc:
            self.out.line(f"      (could not pick: {exc})")
            return
        self.stats.counts["answers"] += 1
        said = f" — “{why}”" if why else ""
        label = options[choice].get("label")
        self.out.line(f"      {person.member.name} picks “{label}” from the menu{said}")
        self.out.line(f"      ↳ {summarise(reply, person.zone)}")

    async def _answer(self, person: Person, dm: Reply) -> None:
        text = self._fitting(dm)
        if "I feel" in dm.text or "feeling" in dm.text.lower():
            text = f"I feel {self.rng.choice(FEELINGS)} today. {text}"
        if self.rng.random() < 0.5:
            handle = await person.member.click(dm, "Answer")
            try:
                modal = await handle.modal()
            except DriverError as exc:
                self.out.line(f"      (could not answer: {exc})")
                return
            reply = await (await person.member.submit_modal(modal, {"answer": text})).reply()
            how = "answers in the form"
        else:
            # A Discord reply to the prompt: it answers that prompt whatever else is open.
            await person.member.send_dm(text, reply_to=dm.message_id)
            reply = await person.member.next_dm()
            how = "replies to the prompt"
        self.stats.counts["answers"] += 1
        self.out.line(f"      {person.member.name} {how}: “{text}”")
        self.out.line(f"      ↳ {summarise(reply, person.zone)}")

    async def run_hour(self) -> None:
        """One simulated hour: send what is due, let everyone react, until things settle."""
        for _ in range(6):
            await self.world.tick()
            now = self.world.clock.now()
            seen = 0
            for name, person in self.people.items():
                for dm in person.member.unread():
                    seen += 1
                    self.stats.counts["DMs received"] += 1
                    self.stats.counts[classify(dm)] += 1
                    shown = summarise(dm, person.zone)
                    self.out.line(f"  {local(now, person.zone)}  {name} ⟵ Closer: {shown}")
                    await self.react(name, dm)
            if not seen:
                return


def is_recap(dm: Reply) -> bool:
    return any(
        str(e.get("title", "")).startswith("Your ") and "Week" in str(e.get("title", ""))
        for e in dm.embeds
    )


def classify(dm: Reply) -> str:
    buttons = set(labels(dm))
    text = dm.text
    if is_recap(dm):
        return "recaps"
    if "how did it go" in text.lower() or "how was it" in text.lower():
        return "check-ins"
    menu = any(i.startswith("closer:pick:") for i in dm.custom_ids())  # a this-or-that
    if (
        {"Answer", "Skip", "Later"} <= buttons
        or {"We did it", "Not this time"} <= buttons
        or (menu and {"Skip", "Later"} <= buttons)
    ):
        return "prompts"
    if ("answered" in text and "wrote" in text) or " picked " in dm.content:
        return "reveals"
    if "No rush" in text or "whenever you're ready" in text:
        return "nudges"
    return "notes"


async def run_demo(
    *, days: int, seed: int, quiet: bool, out: TextIO, prompts_dir: Path | None = None
) -> int:
    logging.getLogger().setLevel(logging.CRITICAL)
    transcript = Transcript(out, quiet)
    library = load_library(prompts_dir if prompts_dir is not None else default_prompts_dir())
    sandbox = Sandbox()
    await sandbox.start()
    with tempfile.TemporaryDirectory(prefix="closer-demo-") as tmp:
        world = World(sandbox, library, Path(tmp) / "closer.db", start=START - timedelta(hours=1))
        try:
            return await _play(world, days, seed, transcript)
        finally:
            await world.stop_bot()
            await sandbox.stop()


async def _skip_to_recap(world: World, demo: Demo, out: Transcript) -> None:
    """Fast-forward (members stop reacting) until the themed week's recap arrives."""
    out.line()
    out.line("── Skipping ahead to the end of the themed week ──")
    for _hour in range(9 * 24):
        world.clock.advance(timedelta(hours=1))
        await world.tick()
        now = world.clock.now()
        for name, person in demo.people.items():
            for dm in person.member.unread():
                demo.stats.counts["DMs received"] += 1
                if is_recap(dm):
                    demo.stats.counts["recaps"] += 1
                    shown = summarise(dm, person.zone, width=400)
                    out.line(f"  {local(now, person.zone)}  {name} ⟵ Closer: {shown}")
        if demo.stats.counts.get("recaps", 0) >= 2:
            return


async def _closeness(demo: Demo, out: Transcript) -> None:
    """The private closeness check-in and Ada's own trend, its pictures saved to print paths."""
    out.line()
    out.line("── How close do we feel? (only Ada sees this) ──")
    ask = await demo.command("Ada", "closer checkin")
    if ask is not None:
        await demo._press(demo.people["Ada"], ask, "6")
    insights = await demo.command("Ada", "closer insights")
    folder = Path(tempfile.gettempdir())
    for reply, name in ((ask, "closer-demo-checkin.png"), (insights, "closer-demo-insights.png")):
        if reply is not None and reply.files:
            path = folder / name
            path.write_bytes(reply.files[0]["data"])
            out.always(f"  picture saved: {path}")


GUESS_GAME = ("a guessing game", "curiosity.guess-comfort-food")
PICK_GAME = ("a this-or-that", "curiosity.pick-sunrise-or-sunset")
"""Given to the friends on the first two days, so every demo shows both kinds answered."""


async def _game(world: World, demo: Demo, out: Transcript, game: tuple[str, str]) -> None:
    """Max and Noor, paired as friends, get one prompt of a kind straight away."""
    what, prompt_id = game
    out.line()
    out.line(f"── Max and Noor (friends) get {what} ──")
    bot = world.running()
    max_id, noor_id = demo.people["Max"].member.id, demo.people["Noor"].member.id
    prompt = bot.library.prompt(prompt_id)
    try:
        pair = await bot.services.pairs.resolve(world.guild.id, max_id, noor_id)
    except Exception:  # the invite went unanswered: nothing to show
        out.line("      (no friends pair to play with)")
        return
    if prompt is not None:
        await bot.services.prompt_commands.deliver(pair, prompt)
        await demo.run_hour()


async def _play(world: World, days: int, seed: int, out: Transcript) -> int:
    await world.start_bot()
    cast = {
        "Ada": ("Europe/Berlin", 0.95, None, False),
        "Sam": ("America/New_York", 0.85, 2, False),
        "Kim": ("Europe/London", 0.9, None, True),
        "Lee": ("Asia/Kolkata", 0.8, None, False),
        "Max": ("Europe/London", 0.9, None, False),
        "Noor": ("Europe/Berlin", 0.7, None, False),
        "Oli": ("America/Sao_Paulo", 0.9, None, False),
    }
    people = {
        name: Person(world.member(name, manage_guild=admin), zone, rate, quiet_after)
        for name, (zone, rate, quiet_after, admin) in cast.items()
    }
    demo = Demo(world, people, seed, out)
    out.always(f"Closer sandbox demo — {days} simulated day{'s' if days != 1 else ''}, seed {seed}")
    out.always(
        "A couple (Ada in Berlin, Sam in New York), a book-club circle of three, and two "
        "friends (Max and Noor)."
    )
    out.line()
    out.line(f"── Setting up · {world.clock.now():%A %-d %B} ──")
    for name, person in people.items():
        await demo.command(name, "closer timezone", zone=person.zone)
    await demo.command(
        "Ada",
        "pair invite",
        member=people["Sam"].member,
        relationship="partners",
        time="19:00",
        cadence="daily",
    )
    await demo.run_hour()
    # From now on nothing reaches Sam overnight, whatever it is: prompts, reveals, notices.
    await demo.command("Sam", "closer quiet-hours", start="23:00", end="07:00")
    await demo.command(
        "Kim", "circle create", name="Book Club", cadence="weekly", day="monday", time="12:00"
    )
    for name in ("Kim", "Lee", "Oli"):
        await demo.command(name, "circle join", name="Book Club")
    await demo.command("Kim", "circle rotate", name="Book Club")
    await demo.command(
        "Max",
        "pair invite",
        member=people["Noor"].member,
        relationship="friends",
        time="18:00",
        cadence="weekly",
    )
    await demo.run_hour()
    await _game(world, demo, out, GUESS_GAME)
    await demo.command("Ada", "challenge start", theme="gratitude-week")
    await demo.run_hour()
    for day in range(days):
        demo.day = day
        if day == 1:  # a day on, so the friends' DMs aren't one burst
            await _game(world, demo, out, PICK_GAME)
        out.line()
        out.line(f"── Day {day + 1} · {world.clock.now():%A %-d %B} ──")
        for _hour in range(24):
            world.clock.advance(timedelta(hours=1))
            await demo.run_hour()
        if day == 1:
            await demo.command("Ada", "pair status")
    if not demo.stats.counts.get("recaps"):
        await _skip_to_recap(world, demo, out)
    await _closeness(demo, out)
    out.always("")
    out.always("Summary")
    for key in ("DMs received", "prompts", "answers", "reveals", "nudges", "check-ins", "recaps"):
        out.always(f"  {key:<16} {demo.stats.counts.get(key, 0)}")
    presses = {k: v for k, v in demo.stats.counts.items() if k.startswith("pressed")}
    for key, value in sorted(presses.items()):
        out.always(f"  {key:<16} {value}")
    calls = len(world.sandbox.requests)
    out.always(f"  REST calls       {calls} (all checked by the sandbox's rate limits)")
    return 0
