"""Colour-vision arithmetic for the palette tests: WCAG contrast, colour-blindness simulation
(Machado, Oliveira & Fernandes 2009, severity 1.0) and the CIEDE2000 colour difference.

Run it to print the numbers the docs quote: `python tests/colour_vision.py`.
"""

from __future__ import annotations

import itertools
import math

RGB = tuple[float, float, float]

# Machado et al. 2009, Table: severity 1.0, applied to linear sRGB.
SIMULATIONS: dict[str, tuple[RGB, RGB, RGB]] = {
    "protanopia": ((0.152286, 1.052583, -0.204868),
                   (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968),
                     (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779),
                   (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
VISIONS = ("normal", *SIMULATIONS)


def parse_hex(colour: str) -> RGB:
    """'#rrggbb' as 0..1 sRGB channels."""
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance of a 0..1 sRGB colour."""
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def over_white(rgb: RGB, alpha: float) -> RGB:
    """The colour laid with this opacity over white (as a browser blends a #rrggbbaa tint)."""
    return tuple(c * alpha + (1 - alpha) for c in rgb)  # type: ignore[return-value]


def simulate(rgb: RGB, vision: str) -> RGB:
    """How the colour looks under a dichromacy, as 0..1 linear sRGB ('normal': unchanged)."""
    linear = tuple(_linear(c) for c in rgb)
    if vision == "normal":
        return linear  # type: ignore[return-value]
    rows = SIMULATIONS[vision]
    mixed = (sum(m * c for m, c in zip(row, linear, strict=True)) for row in rows)
    return tuple(min(1.0, max(0.0, c)) for c in mixed)  # type: ignore[return-value]


def lab(linear: RGB) -> RGB:
    """CIELAB (D65) of a linear sRGB colour."""
    r, g, b = linear
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(lab1: RGB, lab2: RGB) -> float:
    """The CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        if dh > 180:
            dh -= 360
        elif dh < -180:
            dh += 360
    dhh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_mean = h1p + h2p
    if c1p * c2p:
        h_mean = (h1p + h2p) / 2 if abs(h1p - h2p) <= 180 else (
            (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2)
    t = (1 - 0.17 * math.cos(math.radians(h_mean - 30))
         + 0.24 * math.cos(math.radians(2 * h_mean))
         + 0.32 * math.cos(math.radians(3 * h_mean + 6))
         - 0.20 * math.cos(math.radians(4 * h_mean - 63)))
    sl = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    sc = 1 + 0.045 * cp_mean
    sh = 1 + 0.015 * cp_mean * t
    rt = (-2 * math.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25 ** 7))
          * math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2)))))
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2
                     + rt * (dc / sc) * (dhh / sh))


def distance(a: str, b: str, vision: str) -> float:
    """CIEDE2000 between two '#rrggbb' colours as someone with this vision sees them."""
    return ciede2000(lab(simulate(parse_hex(a), vision)), lab(simulate(parse_hex(b), vision)))


def pair_distances(named: dict[str, str]) -> list[tuple[float, str, str, str]]:
    """(distance, vision, name, name) for every pair under every vision, closest first."""
    return sorted((distance(named[x], named[y], vision), vision, x, y)
                  for vision in VISIONS for x, y in itertools.combinations(named, 2))


def in_256_colours(colour: str) -> str:
    """The '#rrggbb' that rich shows for this colour in a terminal without true colour."""
    from rich.color import Color, ColorSystem

    number = Color.parse(colour).downgrade(ColorSystem.EIGHT_BIT).number
    return Color.from_ansi(number).get_truecolor().hex


def _print_closest_pairs(palette: dict[str, str]) -> None:
    for vision in VISIONS:
        worst = min(d for d in pair_distances(palette) if d[1] == vision)
        print(f"  {vision:13} closest pair ΔE00 {worst[0]:5.1f}  {worst[2]} / {worst[3]}")


if __name__ == "__main__":
    from persuasion_lens.taxonomy.techniques import CATEGORIES

    white, black = (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)
    print("Page colours (Category.colour)")
    palette = {c.name: c.colour for c in CATEGORIES}
    _print_closest_pairs(palette)
    for name, colour in palette.items():
        rgb = parse_hex(colour)
        print(f"  {name:21} {colour}  on white {contrast(rgb, white):5.2f}:1  "
              f"on its 27% tint {contrast(rgb, over_white(rgb, 0x45 / 255)):.2f}:1  "
              f"on black {contrast(rgb, black):.2f}:1")
    for title, shown in (("Terminal colours (Category.terminal_colour)", lambda c: c),
                         ("Terminal colours in rich's 256 colours", in_256_colours)):
        print(title)
        palette = {c.name: shown(c.terminal_colour) for c in CATEGORIES}
        _print_closest_pairs(palette)
        for name, colour in palette.items():
            rgb = parse_hex(colour)
            print(f"  {name:21} {colour}  on white {contrast(rgb, white):.2f}:1  "
                  f"on black {contrast(rgb, black):.2f}:1")
