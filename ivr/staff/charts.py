"""Stacked bar charts as inline SVG, drawn on the server: no chart library, no script.

Colours come from the Okabe-Ito palette (distinguishable with colour blindness) darkened where
needed for 3:1 contrast against white. Each bar has a <title>, so hovering shows its figures;
the page also offers every chart as a table.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from ivr.staff.series import Series

LANGUAGE_ORDER = ("nl", "fr", "de", "en", "unknown")
COLOURS = {
    "nl": "#0072b2",
    "fr": "#c05300",
    "de": "#00866b",
    "en": "#a0467f",
    "unknown": "#6b7280",
}
WIDTH, HEIGHT = 560, 190
LEFT, RIGHT, TOP, BOTTOM = 40, 18, 10, 28


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k at least `value` (so gridlines fall on round numbers)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def ordered_languages(series: Series) -> list[str]:
    known = [lang for lang in LANGUAGE_ORDER if lang in series.by_language]
    return known + [lang for lang in series.languages if lang not in LANGUAGE_ORDER]


def stacked_bars(
    series: Series,
    *,
    title: str,
    tick: Callable[[int, str], str | None],
    describe: Callable[[str], str],
    language_name: Callable[[str], str],
    format_number: Callable[[int], str],
) -> Markup:
    """An SVG of one stacked bar per bucket. `tick(i, bucket)` gives the x-axis label under
    bar i (or None); `describe(bucket)` names a bucket in its tooltip."""
    n = max(len(series.buckets), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max([series.total(b) for b in series.buckets] + [1]))
    slot = plot_w / n
    bar = max(slot * 0.78, 1.0)
    languages = ordered_languages(series)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for value in (0, top // 2, top) if top > 1 else (0, top):
        y = TOP + plot_h - plot_h * value / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d1d5db" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#374151">{escape(format_number(value))}</text>'
        )
    for i, bucket in enumerate(series.buckets):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_h
        total = series.total(bucket)
        detail = ", ".join(
            f"{language_name(lang)} {format_number(series.by_language[lang].get(bucket, 0))}"
            for lang in languages
            if series.by_language[lang].get(bucket, 0)
        )
        tip = f"{describe(bucket)}: {format_number(total)}" + (f" ({detail})" if detail else "")
        parts.append(f"<g><title>{escape(tip)}</title>")
        # An invisible full-height rect, so even an empty bucket has a hover target.
        parts.append(
            f'<rect x="{LEFT + i * slot:.1f}" y="{TOP}" width="{slot:.1f}" height="{plot_h}" '
            f'fill="transparent"/>'
        )
        for lang in languages:
            count = series.by_language[lang].get(bucket, 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS.get(lang, "#374151")}"/>'
            )
        parts.append("</g>")
        label = tick(i, bucket)
        if label:
            cx = LEFT + i * slot + slot / 2
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" '
                f'stroke="#6b7280"/>'
                f'<text x="{cx:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="12" '
                f'fill="#374151">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="#6b7280" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)
