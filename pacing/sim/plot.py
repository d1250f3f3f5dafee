"""A PNG of a simulated shift: occupancy (top panel) and abandon rate (bottom) per slice.

    png = shift_png(result.timeline, abandon_target=0.03, shift_s=8 * 3600)
    Path("shift.png").write_bytes(png)

Written with zlib and struct from the standard library (see docs/decisions/0007): one
chart does not justify matplotlib and numpy in a daemon's install. Pure: timeline in,
bytes out. The few labels use a 3x5 pixel font of the characters they need.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from pacing.sim.scenario import Slice

WIDTH, PANEL_H, MARGIN_L, MARGIN_R, MARGIN_T, GAP, MARGIN_B = 640, 160, 40, 16, 16, 36, 24
HEIGHT = MARGIN_T + 2 * PANEL_H + GAP + MARGIN_B
WHITE, BLACK, GREY = (255, 255, 255), (0, 0, 0), (200, 200, 200)
OCCUPANCY_COLOUR, ABANDON_COLOUR, TARGET_COLOUR = (31, 119, 180), (214, 39, 40), (120, 120, 120)
SCALE = 2  # font pixels per glyph pixel

Rgb = tuple[int, int, int]

FONT = {  # 3x5 glyphs, one string per row, "#" lit
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ".": ("...", "...", "...", "...", ".#."),
    "%": ("#.#", "..#", ".#.", "#..", "#.#"),
    " ": ("...", "...", "...", "...", "..."),
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "N": ("#.#", "###", "###", "#.#", "#.#"),
    "O": (".#.", "#.#", "#.#", "#.#", ".#."),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
}


class Canvas:
    """An RGB raster with the few drawing operations a line chart needs."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * (width * height))

    def dot(self, x: int, y: int, colour: Rgb) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            at = 3 * (y * self.width + x)
            self.pixels[at : at + 3] = bytes(colour)

    def hline(self, x0: int, x1: int, y: int, colour: Rgb, dash: int = 0) -> None:
        for x in range(min(x0, x1), max(x0, x1) + 1):
            if not dash or (x // dash) % 2 == 0:
                self.dot(x, y, colour)

    def vline(self, x: int, y0: int, y1: int, colour: Rgb) -> None:
        for y in range(min(y0, y1), max(y0, y1) + 1):
            self.dot(x, y, colour)

    def line(self, a: tuple[int, int], b: tuple[int, int], colour: Rgb) -> None:
        """A two-pixel-thick straight line (enough steps to leave no gaps)."""
        steps = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
        for i in range(steps + 1):
            x = round(a[0] + (b[0] - a[0]) * i / steps)
            y = round(a[1] + (b[1] - a[1]) * i / steps)
            self.dot(x, y, colour)
            self.dot(x, y + 1, colour)

    def text(self, x: int, y: int, words: str, colour: Rgb = BLACK) -> None:
        for i, char in enumerate(words.upper()):
            rows = FONT.get(char, FONT[" "])
            for dy, row in enumerate(rows):
                for dx, lit in enumerate(row):
                    if lit == "#":
                        self.block(x + (4 * i + dx) * SCALE, y + dy * SCALE, colour)

    def block(self, x: int, y: int, colour: Rgb) -> None:
        for oy in range(SCALE):
            for ox in range(SCALE):
                self.dot(x + ox, y + oy, colour)

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[3 * y * self.width : 3 * (y + 1) * self.width])
            for y in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def shift_png(timeline: Sequence[Slice], abandon_target: float, shift_s: float) -> bytes:
    """Occupancy (0-100 %) over the shift on top, abandon rate below with the target dashed."""
    if not timeline:
        raise ValueError("the shift has no timeline to plot")
    canvas = Canvas(WIDTH, HEIGHT)
    top, bottom = MARGIN_T, MARGIN_T + PANEL_H + GAP
    occupancy = [100.0 * s.occupancy for s in timeline]
    abandon = [100.0 * s.abandon_rate for s in timeline]
    abandon_top = nice_top(max([*abandon, 2.0 * 100.0 * abandon_target]))
    panel(canvas, top, 100.0, "OCCUPANCY %")
    panel(canvas, bottom, abandon_top, "ABANDONED %")
    ends = [s.end_s for s in timeline]
    series(
        canvas, Axes(top, 100.0, shift_s), list(zip(ends, occupancy, strict=True)), OCCUPANCY_COLOUR
    )
    lower = Axes(bottom, abandon_top, shift_s)
    series(canvas, lower, list(zip(ends, abandon, strict=True)), ABANDON_COLOUR)
    target_y = y_of(bottom, 100.0 * abandon_target, abandon_top)
    canvas.hline(MARGIN_L, WIDTH - MARGIN_R, target_y, TARGET_COLOUR, dash=4)
    canvas.text(WIDTH - MARGIN_R - 60, target_y - 14, "TARGET", TARGET_COLOUR)
    hours_axis(canvas, bottom + PANEL_H, shift_s)
    return canvas.png()


def panel(canvas: Canvas, top: int, highest: float, title: str) -> None:
    left, right, base = MARGIN_L, WIDTH - MARGIN_R, top + PANEL_H
    for share in (0.25, 0.5, 0.75, 1.0):
        canvas.hline(left, right, y_of(top, highest * share, highest), GREY)
    canvas.hline(left, right, base, BLACK)
    canvas.vline(left, top, base, BLACK)
    canvas.text(left + 6, top - 12, title)
    for share in (0.0, 0.5, 1.0):
        label = f"{highest * share:g}"
        canvas.text(left - 4 - 8 * len(label), y_of(top, highest * share, highest) - 5, label)


def series(canvas: Canvas, axes: Axes, values: Sequence[tuple[float, float]], colour: Rgb) -> None:
    """(slice end, value) pairs drawn at each slice's end, joined by straight lines."""
    points = [axes.point(end_s, value) for end_s, value in values]
    if len(points) == 1:
        canvas.line((MARGIN_L, points[0][1]), points[0], colour)
    for a, b in pairwise(points):
        canvas.line(a, b, colour)


def hours_axis(canvas: Canvas, base: int, shift_s: float) -> None:
    hours = shift_s / 3600.0
    step = 1.0 if hours <= 12 else 4.0
    h = 0.0
    while h <= hours + 1e-9:
        x = x_of(h * 3600.0, shift_s)
        canvas.vline(x, base, base + 3, BLACK)
        canvas.text(x - 3, base + 6, f"{h:g}H")
        h += step


@dataclass(frozen=True, slots=True)
class Axes:
    """One panel's placement: its top row, the value at its top, the shift's length."""

    top: int
    highest: float
    shift_s: float

    def point(self, t_s: float, value: float) -> tuple[int, int]:
        return x_of(t_s, self.shift_s), y_of(self.top, value, self.highest)


def x_of(t_s: float, shift_s: float) -> int:
    return MARGIN_L + round((WIDTH - MARGIN_L - MARGIN_R) * min(1.0, max(0.0, t_s / shift_s)))


def y_of(top: int, value: float, highest: float) -> int:
    return top + PANEL_H - round(PANEL_H * min(1.0, max(0.0, value / highest)))


def nice_top(value: float) -> float:
    """The smallest of 2, 5, 10, 20, ... percent at or above `value`."""
    top = 1.0
    while True:
        for step in (2.0, 5.0, 10.0):
            if top * step >= value:
                return top * step
        top *= 10.0
