from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest

from pacing.sim.cli import main
from pacing.sim.plot import (
    ABANDON_COLOUR,
    HEIGHT,
    OCCUPANCY_COLOUR,
    WIDTH,
    Axes,
    shift_png,
)
from pacing.sim.scenario import Slice

Rgb = tuple[int, int, int]


def decoded(png: bytes) -> tuple[int, int, list[list[Rgb]]]:
    """Width, height and pixel rows of an 8-bit RGB PNG with unfiltered rows, checking CRCs."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, data, size = 8, b"", (0, 0)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
            size = (width, height)
        elif kind == b"IDAT":
            data += body
        at += 12 + length
    width, height = size
    raw = zlib.decompress(data)
    rows = []
    for y in range(height):
        line = raw[y * (3 * width + 1) : (y + 1) * (3 * width + 1)]
        assert line[0] == 0  # filter type: none
        rows.append([(line[1 + 3 * x], line[2 + 3 * x], line[3 + 3 * x]) for x in range(width)])
    return width, height, rows


def near(rows: list[list[Rgb]], x: int, y: int, colour: Rgb) -> bool:
    return any(rows[y + dy][x + dx] == colour for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def test_the_plot_draws_each_slice_where_its_values_are() -> None:
    timeline = [Slice(900.0 * (i + 1), 0.5 + 0.1 * i, 0.01 * i) for i in range(4)]
    width, height, rows = decoded(shift_png(timeline, abandon_target=0.03, shift_s=3600.0))
    assert (width, height) == (WIDTH, HEIGHT)
    top = Axes(16, 100.0, 3600.0)
    for piece in timeline:
        x, y = top.point(piece.end_s, 100.0 * piece.occupancy)
        assert near(rows, x, y, OCCUPANCY_COLOUR), piece
    x, y = top.point(1800.0, 20.0)
    assert not near(rows, x, y, OCCUPANCY_COLOUR)  # nothing drawn far from the values
    assert any(ABANDON_COLOUR in row for row in rows[HEIGHT // 2 :])
    assert not any(ABANDON_COLOUR in row for row in rows[: HEIGHT // 2 - 40])


def test_an_empty_timeline_is_refused() -> None:
    with pytest.raises(ValueError, match="no timeline"):
        shift_png([], abandon_target=0.03, shift_s=3600.0)


def test_simulate_writes_the_plot(tmp_path: Path) -> None:
    target = tmp_path / "shift.png"
    out, err = io.StringIO(), io.StringIO()
    argv = ["--agents", "5", "--shift-h", "0.5", "--seed", "2", "--plot", str(target)]
    assert main(argv, out, err) == 0
    width, height, _ = decoded(target.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert str(target) in out.getvalue()


def test_an_unwritable_plot_path_is_a_clear_error(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["--agents", "5", "--shift-h", "0.25", "--plot", str(tmp_path / "no" / "such.png")]
    assert main(argv, out, err) == 1
    assert "cannot write the plot" in err.getvalue()
