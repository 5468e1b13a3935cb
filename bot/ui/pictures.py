"""Pictures Closer sends, drawn with Pillow: the closeness scale, a member's own trend, cards.

Every picture is an opaque light card with dark ink, so it reads the same in Discord's light and
dark themes, and is drawn only with the font that ships inside Pillow (`load_default(size=…)`),
so the same input gives the same pixels on any machine. Each message carrying one also says what
it shows in words (alt text), for screen readers and for anyone who would rather read.

A picture is stored in a delivery row as a small spec (`FileSpec`), not as bytes: the outbox row
stays small and the picture is drawn when the message is sent.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from bot.ui.payload import FileSpec

BACKGROUND = (255, 248, 240, 255)
INK = (46, 42, 52, 255)
SOFT_INK = (112, 104, 118, 255)
GRID = (226, 214, 204, 255)
Colour = tuple[int, int, int]
YOU: Colour = (232, 168, 124)  # the accent of Closer's embeds
THEM: Colour = (93, 169, 166)
SCALE = 2  # drawn at twice the size and scaled down: smooth edges without anti-aliasing APIs


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * SCALE)


def _canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGBA", (width * SCALE, height * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, width * SCALE - 1, height * SCALE - 1), radius=16 * SCALE, fill=BACKGROUND
    )
    return image, draw


def _png(image: Image.Image) -> bytes:
    small = image.resize((image.width // SCALE, image.height // SCALE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG")
    return out.getvalue()


def _text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: tuple[int, int, int, int] = INK,
    anchor: str = "la",
) -> None:
    draw.text((xy[0] * SCALE, xy[1] * SCALE), text, font=_font(size), fill=fill, anchor=anchor)


# The closeness scale ------------------------------------------------------------------------
SCALE_ALT = (
    "Seven pictures of two circles, numbered 1 to 7: at 1 the circles stand apart, and with "
    "each number they overlap more, until at 7 they almost fully overlap."
)


def _circle(image: Image.Image, cx: float, cy: float, radius: float, colour: Colour) -> Image.Image:
    # Each circle on its own layer, so where they overlap the colours blend into a third.
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    box = (
        (cx - radius) * SCALE,
        (cy - radius) * SCALE,
        (cx + radius) * SCALE,
        (cy + radius) * SCALE,
    )
    ImageDraw.Draw(layer).ellipse(box, fill=(*colour, 150), outline=(*colour, 255), width=3 * SCALE)
    return Image.alpha_composite(image, layer)


@cache
def closeness_scale() -> bytes:
    """Our own drawing of the idea of the IOS scale: 1 apart … 7 almost fully overlapping."""
    cell, radius, cy = 124, 24, 50
    image, _ = _canvas(cell * 7, 124)
    for i in range(7):
        # From a clear gap to nearly one circle: the centres move from 2r+8 to r/5 apart.
        far, near = 2 * radius + 8, radius / 5
        distance = far - (far - near) * i / 6
        cx = cell * i + cell / 2
        image = _circle(image, cx - distance / 2, cy, radius, YOU)
        image = _circle(image, cx + distance / 2, cy, radius, THEM)
    draw = ImageDraw.Draw(image)
    for i in range(7):
        _text(draw, (cell * i + cell / 2, cy + radius + 16), str(i + 1), 20, anchor="ma")
    return _png(image)


# A member's own trend ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Series:
    title: str  # e.g. "With Sam"
    points: tuple[tuple[datetime, int], ...]


def trend(series: Sequence[Series]) -> bytes:
    """One small chart per pair: each check-in (1–7) over time, joined by a line."""
    panel, width, left, right = 200, 640, 56, 24
    height = max(1, len(series)) * panel + 16
    image, draw = _canvas(width, height)
    for index, one in enumerate(series):
        top = 16 + index * panel
        plot_top, plot_bottom = top + 40, top + panel - 36
        _text(draw, (left - 40, top + 6), one.title, 18)

        def y_of(score: int, plot_top: float = plot_top, plot_bottom: float = plot_bottom) -> float:
            return plot_bottom - (score - 1) * (plot_bottom - plot_top) / 6

        for score in (1, 4, 7):
            y = y_of(score)
            draw.line(
                (left * SCALE, y * SCALE, (width - right) * SCALE, y * SCALE),
                fill=GRID,
                width=SCALE,
            )
            _text(draw, (left - 12, y), str(score), 13, SOFT_INK, anchor="rm")
        points = one.points
        if not points:
            _text(draw, (left + 8, (plot_top + plot_bottom) / 2), "No check-ins yet", 15, SOFT_INK)
            continue
        first, last = points[0][0], points[-1][0]
        span = (last - first).total_seconds()

        def x_of(when: datetime, first: datetime = first, span: float = span) -> float:
            if span <= 0:
                return (left + width - right) / 2
            return left + 12 + (when - first).total_seconds() / span * (width - right - left - 24)

        xy = [(x_of(when) * SCALE, y_of(score) * SCALE) for when, score in points]
        if len(xy) > 1:
            draw.line(xy, fill=(*YOU, 255), width=3 * SCALE, joint="curve")
        dot = 6 * SCALE
        for x, y in xy:
            draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=(*THEM, 255), outline=INK)
        if span > 0:
            _text(draw, (left + 12, plot_bottom + 10), f"{first:%b} {first.day}", 13, SOFT_INK)
        else:  # one check-in: its date under its dot
            _text(
                draw, (x_of(first), plot_bottom + 10), f"{first:%b} {first.day}", 13, SOFT_INK, "ma"
            )
        if span > 0:
            _text(
                draw,
                (width - right - 12, plot_bottom + 10),
                f"{last:%b} {last.day}",
                13,
                SOFT_INK,
                anchor="ra",
            )
    return _png(image)


# Cards -------------------------------------------------------------------------------------
def card(title: str, lines: Sequence[str]) -> bytes:
    """A recap card: a title and a few short lines (counts, the member's own notes)."""
    width = 560
    wrapped: list[tuple[str, bool]] = []
    for line in lines:
        quote = line.startswith("“")
        wrapped += [(part, quote) for part in textwrap.wrap(line, 52) or [""]]
    wrapped = wrapped[:14]
    height = 76 + 26 * len(wrapped) + 16
    image, draw = _canvas(width, height)
    draw.rounded_rectangle(
        (0, 0, 20 * SCALE, height * SCALE - 1), radius=16 * SCALE, fill=(*YOU, 255)
    )
    draw.rectangle((10 * SCALE, 0, 20 * SCALE, height * SCALE - 1), fill=BACKGROUND)
    _text(draw, (32, 22), title, 24)
    for i, (line, quote) in enumerate(wrapped):
        _text(draw, (32, 72 + 26 * i), line, 16, SOFT_INK if quote else INK)
    return _png(image)


# The feelings wheel --------------------------------------------------------------------------
WHEEL_COLOURS = (
    (244, 196, 98),
    (140, 196, 170),
    (232, 150, 160),
    (128, 160, 210),
    (170, 150, 200),
    (226, 128, 110),
    (238, 170, 120),
)


def feelings_wheel(groups: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    """Core feelings in the middle ring, their words around them, one colour per family."""
    size = 620
    image, draw = _canvas(size, size)
    cx = cy = size / 2
    outer, middle, inner = 290.0, 170.0, 46.0
    total = sum(len(words) for _, words in groups) or 1
    start = -90.0
    for (name, words), colour in zip(groups, WHEEL_COLOURS, strict=False):
        sweep = 360.0 * len(words) / total
        for radius, shade in ((outer, 70), (middle, 170)):
            box = tuple(v * SCALE for v in (cx - radius, cy - radius, cx + radius, cy + radius))
            draw.pieslice(
                box, start, start + sweep, fill=(*colour, shade + 85), outline=BACKGROUND, width=4
            )
        mid = math.radians(start + sweep / 2)
        r_name = (middle + inner) / 2 + 8
        _text(
            draw, (cx + r_name * math.cos(mid), cy + r_name * math.sin(mid)), name, 15, anchor="mm"
        )
        step = sweep / len(words)
        for j, word in enumerate(words):
            angle = math.radians(start + step * (j + 0.5))
            r_word = (outer + middle) / 2
            _text(
                draw,
                (cx + r_word * math.cos(angle), cy + r_word * math.sin(angle)),
                word,
                13,
                anchor="mm",
            )
        start += sweep
    box = tuple(v * SCALE for v in (cx - inner, cy - inner, cx + inner, cy + inner))
    draw.ellipse(box, fill=BACKGROUND)
    _text(draw, (cx, cy), "I feel…", 16, anchor="mm")
    return _png(image)


def render(spec: FileSpec) -> bytes:
    """The bytes of a stored picture spec (see `FileSpec`)."""
    data = spec.get("data") or {}
    kind = spec.get("draw")
    if kind == "closeness_scale":
        return closeness_scale()
    if kind == "card":
        return card(str(data.get("title", "")), [str(x) for x in data.get("lines", [])])
    if kind == "feelings_wheel":
        return _the_feelings_wheel()
    raise ValueError(f"unknown picture: {kind!r}")


@cache
def _the_feelings_wheel() -> bytes:
    # Always the same picture, sent beside every prompt in the feelings category: drawing it
    # takes a fifth of a second of CPU, which a fan-out would otherwise pay again and again.
    from bot.ui.feelings import FEELINGS

    return feelings_wheel(list(FEELINGS.items()))
