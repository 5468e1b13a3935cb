"""Pictures against stored reference images, with a small pixel tolerance.

Pillow is pinned to one major version and text uses the font shipped inside it, so the same input
should give the same pixels anywhere; the tolerance absorbs tiny anti-aliasing differences
between builds without letting a changed drawing through. Regenerate references on purpose with
`CLOSER_UPDATE_PICTURES=1 pytest tests/ui`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from bot.ui import pictures
from bot.ui.feelings import FEELINGS

REFERENCE = Path(__file__).parent / "reference"
# A pixel differs when any channel is off by more than this (anti-aliasing noise is smaller).
CHANNEL_TOLERANCE = 48
# And at most this share of pixels may differ.
PIXEL_SHARE = 0.002

T0 = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)

CASES: dict[str, Callable[[], bytes]] = {
    "closeness_scale": pictures.closeness_scale,
    "trend": lambda: pictures.trend(
        [
            pictures.Series(
                "With Sam",
                ((T0, 3), (T0 + timedelta(days=28), 4), (T0 + timedelta(days=56), 6)),
            ),
            pictures.Series("With Bea and Cleo", ((T0 + timedelta(days=14), 5),)),
        ]
    ),
    "card": lambda: pictures.card(
        "Your Gratitude Week",
        [
            "You showed up together on 5 of 7 days.",
            "What you explored: Gratitude, Curiosity",
            "Your own notes:",
            "“Thank you for the coffee every morning, even the rushed ones.”",
        ],
    ),
    "feelings_wheel": lambda: pictures.feelings_wheel(list(FEELINGS.items())),
}


def rgba(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


def differing_share(a: Image.Image, b: Image.Image) -> float:
    if a.size != b.size:
        return 1.0
    diff = ImageChops.difference(a, b)
    channels = diff.split()
    worst = channels[0]
    for channel in channels[1:]:
        worst = ImageChops.lighter(worst, channel)
    histogram = worst.histogram()
    over = sum(histogram[CHANNEL_TOLERANCE + 1 :])
    return over / (a.width * a.height)


def close_enough(a: Image.Image, b: Image.Image) -> bool:
    return differing_share(a, b) <= PIXEL_SHARE


@pytest.mark.parametrize("name", sorted(CASES))
def test_picture_matches_its_reference(name: str) -> None:
    drawn = CASES[name]()
    path = REFERENCE / f"{name}.png"
    if os.environ.get("CLOSER_UPDATE_PICTURES") == "1":
        path.write_bytes(drawn)
    image = rgba(drawn)
    assert Image.open(io.BytesIO(drawn)).format == "PNG"
    assert close_enough(image, rgba(path.read_bytes())), (
        name,
        differing_share(image, rgba(path.read_bytes())),
    )


def test_the_tolerance_still_sees_a_changed_drawing() -> None:
    reference = rgba((REFERENCE / "closeness_scale.png").read_bytes())
    changed = reference.copy()
    # One circle pair's worth of change: a 40×40 blot where the 4th picture is.
    ImageDraw.Draw(changed).rectangle((352, 26, 392, 66), fill=(20, 20, 20, 255))
    assert not close_enough(reference, changed)


def relative_luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_pictures_read_the_same_in_light_and_dark_themes() -> None:
    # An opaque light card with dark ink: what surrounds it (Discord's theme) cannot change it.
    light, dark = relative_luminance(pictures.BACKGROUND), relative_luminance(pictures.INK)
    assert (light + 0.05) / (dark + 0.05) >= 7  # WCAG AAA for text
    for name, draw in CASES.items():
        image = rgba(draw())
        w, h = image.size
        for x, y in ((w // 2, 4), (4, h // 2), (w - 5, h // 2), (w // 2, h - 5)):
            assert image.getpixel((x, y))[3] == 255, name  # type: ignore[index]
