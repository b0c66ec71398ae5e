"""Draws static/description/icon.png: a calendar sheet and a two-arrow sync badge.

Outlook blue for the sheet, Odoo purple for the badge, on a transparent background like Odoo's
own app icons, with a small margin so the module form's frame does not touch it. Drawn at 4x
with Pillow and scaled down, so the edges stay smooth at the 50 px of the Apps list.
Run: `.venv/bin/python dev/icon.py`.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "description" / "icon.png"
SIZE = 256
MARGIN = 8
SCALE = 4
OUTLOOK_BLUE = (15, 108, 189, 255)
DEEP_BLUE = (11, 69, 125, 255)
LIGHT_BLUE = (222, 236, 249, 255)
ODOO_PURPLE = (113, 75, 103, 255)
WHITE = (255, 255, 255, 255)


def sheet(draw: ImageDraw.ImageDraw) -> None:
    """The calendar page: a blue header with two binder rings over a light day grid."""
    left, top, right, bottom = 24, 136, 792, 904
    draw.rounded_rectangle((left, top, right, bottom), radius=96, fill=OUTLOOK_BLUE)
    draw.rounded_rectangle((left + 44, top + 190, right - 44, bottom - 44), 56, fill=LIGHT_BLUE)
    for ring_x in (240, 576):
        draw.rounded_rectangle((ring_x - 38, 56, ring_x + 38, 236), radius=38, fill=DEEP_BLUE)
    cell, gap = 118, 44
    for row in range(3):
        for column in range(3):
            x = left + 118 + column * (cell + gap)
            y = top + 270 + row * (cell + gap)
            if row == 2 and column == 2:
                continue
            colour = OUTLOOK_BLUE if (row, column) != (0, 1) else ODOO_PURPLE
            draw.rounded_rectangle((x, y, x + cell, y + cell), radius=24, fill=colour)


def arrow(draw: ImageDraw.ImageDraw, centre: tuple[int, int], radius: int, start: float) -> None:
    """A white arc of 130 degrees, clockwise from ``start``, ending in an arrowhead."""
    cx, cy = centre
    width = 64
    end = start + 130
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    draw.arc(box, start, end, fill=WHITE, width=width)
    tip = math.radians(end + 24)
    back = math.radians(end)
    outer, inner = radius + 52, radius - width - 52
    draw.polygon(
        [
            (cx + (radius - width / 2) * math.cos(tip), cy + (radius - width / 2) * math.sin(tip)),
            (cx + outer * math.cos(back), cy + outer * math.sin(back)),
            (cx + inner * math.cos(back), cy + inner * math.sin(back)),
        ],
        fill=WHITE,
    )


def badge(draw: ImageDraw.ImageDraw) -> None:
    """The sync sign: two arrows chasing each other in a purple disc, ringed in white."""
    cx, cy, radius = 752, 752, 236
    ring = radius + 30
    draw.ellipse((cx - ring, cy - ring, cx + ring, cy + ring), fill=WHITE)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=ODOO_PURPLE)
    for start in (200, 20):
        arrow(draw, (cx, cy), 158, start)


def main() -> None:
    canvas = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    sheet(draw)
    badge(draw)
    drawing = canvas.resize((SIZE - 2 * MARGIN,) * 2, Image.Resampling.LANCZOS)
    icon = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    icon.paste(drawing, (MARGIN, MARGIN))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    icon.save(OUT, optimize=True)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
