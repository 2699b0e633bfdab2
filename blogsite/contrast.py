"""WCAG 2 contrast ratios of sRGB colours, and nudging a colour until it is readable."""

from __future__ import annotations

AA_TEXT = 4.5  # WCAG 2.1 AA, normal-size text


def _rgb(colour: str) -> tuple[int, int, int]:
    """Return the channels of ``#rgb`` or ``#rrggbb``."""
    hexes = colour.strip().lstrip("#")
    if len(hexes) == 3:
        hexes = "".join(c * 2 for c in hexes)
    if len(hexes) != 6:
        raise ValueError(f"not a hex colour: {colour!r}")
    return int(hexes[0:2], 16), int(hexes[2:4], 16), int(hexes[4:6], 16)


def luminance(colour: str) -> float:
    """Return the relative luminance of ``colour`` (WCAG 2 definition)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """Return the contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, background: str, ratio: float = AA_TEXT) -> str:
    """Return ``colour``, moved toward black or white just enough to reach ``ratio``."""
    if contrast(colour, background) >= ratio:
        return colour.lower()
    target = (0, 0, 0) if luminance(background) > 0.18 else (255, 255, 255)
    start = _rgb(colour)
    for step in range(1, 101):
        mixed = tuple(round(s + (t - s) * step / 100) for s, t in zip(start, target, strict=True))
        candidate = "#{:02x}{:02x}{:02x}".format(*mixed)
        if contrast(candidate, background) >= ratio:
            return candidate
    return "#{:02x}{:02x}{:02x}".format(*target)
