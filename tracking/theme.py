"""A merchant's branding turned into safe CSS: validated colours, readable contrast, font stacks.

Merchant colours never reach the page as text: they are parsed to RGB here and the
stylesheet is generated from the numbers, so nothing but `#rrggbb` can come out.
"""

import re
from dataclasses import dataclass

STYLESHEET_VERSION = "5"  # bump when static/tracking/tracking.css changes meaning

HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")

DEFAULTS = {
    "primary": "#1f3a5f",
    "accent": "#e07a5f",
    "background": "#f7f5f2",
    "text": "#1d1d1f",
}

# Only system fonts: a web font would be a third-party request and a layout shift.
FONT_STACKS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "serif": 'Georgia, "Times New Roman", "DejaVu Serif", serif',
    "rounded": 'ui-rounded, "SF Pro Rounded", "Nunito", "Segoe UI", system-ui, sans-serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace',
    "humanist": 'Optima, Candara, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif',
}

TEXT_CONTRAST = 4.5  # WCAG AA for body text
UI_CONTRAST = 3.0  # WCAG AA for large text and graphical objects


def parse_hex(value, default: str) -> tuple[int, int, int]:
    match = HEX_RE.match(str(value or "").strip())
    raw = match.group(1) if match else default.lstrip("#")
    return int(raw[0:2], 16), int(raw[2:4], 16), int(raw[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _mix(rgb, target, t: float) -> tuple[int, int, int]:
    return tuple(round(c + (d - c) * t) for c, d in zip(rgb, target, strict=True))


def ensure_contrast(fg, bg, minimum: float) -> tuple[int, int, int]:
    """`fg`, or the nearest shade of it (towards black or white) that reads on `bg`."""
    if contrast(fg, bg) >= minimum:
        return fg
    target = (0, 0, 0) if luminance(bg) > 0.18 else (255, 255, 255)
    for step in range(1, 21):
        candidate = _mix(fg, target, step / 20)
        if contrast(candidate, bg) >= minimum:
            return candidate
    return target


def readable_on(bg) -> tuple[int, int, int]:
    """White or near-black, whichever reads better on `bg` (button labels)."""
    white, ink = (255, 255, 255), (17, 17, 17)
    return white if contrast(white, bg) >= contrast(ink, bg) else ink


@dataclass(frozen=True)
class Theme:
    """The colours a page uses, after validation and contrast adjustment."""

    primary: str
    accent: str
    background: str
    text: str
    font: str
    # Derived, always readable:
    on_primary: str
    primary_text: str  # primary used as text/links on the background
    accent_ui: str  # accent for bars and dots on the surface
    muted: str
    surface: str
    adjusted: tuple[str, ...]  # names of merchant colours we had to change
    source: tuple[str, str, str, str]  # the merchant's validated colours, before adjustment

    @property
    def css_variables(self) -> str:
        return (
            f"--pp-primary:{self.primary};--pp-on-primary:{self.on_primary};"
            f"--pp-link:{self.primary_text};--pp-accent:{self.accent_ui};"
            f"--pp-bg:{self.background};--pp-text:{self.text};--pp-muted:{self.muted};"
            f"--pp-surface:{self.surface};--pp-font:{FONT_STACKS[self.font]};"
        )

    @property
    def query(self) -> str:
        """The stylesheet URL's query: colours as bare hex, the font key."""
        colours = "-".join(c.lstrip("#") for c in self.source)
        return f"c={colours}&f={self.font}"


def theme_from_values(*, primary=None, accent=None, background=None, text=None, font=None) -> Theme:
    bg = parse_hex(background, DEFAULTS["background"])
    txt = parse_hex(text, DEFAULTS["text"])
    pri = parse_hex(primary, DEFAULTS["primary"])
    acc = parse_hex(accent, DEFAULTS["accent"])
    font = font if font in FONT_STACKS else "system"
    adjusted = []

    # Cards are drawn on a surface a touch lighter than the background.
    surface = (
        _mix(bg, (255, 255, 255), 0.85) if luminance(bg) > 0.18 else _mix(bg, (255, 255, 255), 0.06)
    )

    fixed_text = ensure_contrast(txt, surface, TEXT_CONTRAST)
    fixed_text = ensure_contrast(fixed_text, bg, TEXT_CONTRAST)
    if fixed_text != txt:
        adjusted.append("text")
    primary_text = ensure_contrast(pri, surface, TEXT_CONTRAST)
    primary_text = ensure_contrast(primary_text, bg, TEXT_CONTRAST)
    if primary_text != pri:
        adjusted.append("primary")
    on_primary = readable_on(pri)
    fixed_primary = pri
    if contrast(on_primary, pri) < TEXT_CONTRAST:
        # A mid-tone primary: darken the button until its label reads.
        fixed_primary = ensure_contrast(pri, on_primary, TEXT_CONTRAST)
    accent_ui = ensure_contrast(acc, surface, UI_CONTRAST)
    if accent_ui != acc:
        adjusted.append("accent")
    muted = _mix(fixed_text, surface, 0.35)
    muted = ensure_contrast(muted, surface, TEXT_CONTRAST)
    return Theme(
        primary=to_hex(fixed_primary),
        accent=to_hex(acc),
        background=to_hex(bg),
        text=to_hex(fixed_text),
        font=font,
        on_primary=to_hex(on_primary),
        primary_text=to_hex(primary_text),
        accent_ui=to_hex(accent_ui),
        muted=to_hex(muted),
        surface=to_hex(surface),
        adjusted=tuple(adjusted),
        source=(to_hex(pri), to_hex(acc), to_hex(bg), to_hex(txt)),
    )


def theme_for_branding(branding) -> Theme:
    if branding is None:
        return theme_from_values()
    return theme_from_values(
        primary=branding.primary_color,
        accent=branding.accent_color,
        background=branding.background_color,
        text=branding.text_color,
        font=branding.font,
    )


def theme_from_query(colours: str, font: str) -> Theme:
    """The inverse of Theme.query, for the stylesheet view. Bad input gives the defaults."""
    parts = (colours or "").split("-")
    if len(parts) != 4:
        parts = [None] * 4
    return theme_from_values(
        primary=parts[0], accent=parts[1], background=parts[2], text=parts[3], font=font
    )
