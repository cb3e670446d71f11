"""Bar charts drawn on the server as inline SVG: no chart library, no script, nothing from a CDN.

Each bar has a <title> (the browser's tooltip and what a screen reader reads) with its label and value.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 180
LEFT, BOTTOM, TOP = 56, 22, 8
COLOURS = ("#2f6fb0", "#e08a2c", "#4b9f5a")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def bar_chart(
    *,
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    value_format: Callable[[int], str] = lambda value: f"{value:,}",
    label_every: int = 1,
) -> SafeString:
    """Stacked bars, one per label; the y axis shows 0 and the largest stacked total."""
    count = max(len(labels), 1)
    peak = max((sum(values[index] for values in (s.values for s in series)) for index in range(len(labels))), default=0)
    scale = (HEIGHT - BOTTOM - TOP) / peak if peak else 0
    slot = (WIDTH - LEFT) / count
    bar = max(slot * 0.8, 1)
    parts = []
    for index, label in enumerate(labels):
        x = LEFT + index * slot + (slot - bar) / 2
        base = HEIGHT - BOTTOM
        for colour, line in zip(COLOURS, series, strict=False):
            value = line.values[index]
            height = value * scale
            if height > 0:
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: {}</title></rect>',
                        f"{x:.1f}",
                        f"{base - height:.1f}",
                        f"{bar:.1f}",
                        f"{height:.1f}",
                        colour,
                        label,
                        line.name,
                        value_format(value),
                    )
                )
            base -= height
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                    f"{x + bar / 2:.1f}",
                    HEIGHT - 6,
                    label,
                )
            )
    axis = format_html(
        '<line x1="{l}" y1="{b}" x2="{w}" y2="{b}" stroke="#888"/>'
        '<text x="{t}" y="{b}" font-size="10" text-anchor="end">0</text>'
        '<text x="{t}" y="{top}" font-size="10" text-anchor="end">{peak}</text>',
        l=LEFT,
        b=HEIGHT - BOTTOM,
        w=WIDTH,
        t=LEFT - 4,
        top=TOP + 10,
        peak=value_format(peak),
    )
    legend = format_html_join(
        "",
        '<span class="chart-key"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" '
        'fill="{}"/></svg> {}</span> ',
        ((colour, line.name) for colour, line in zip(COLOURS, series, strict=False)),
    )
    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        axis,
        mark_safe("".join(parts)),  # noqa: S308 - every part is built by format_html
    )
    return format_html('<figure class="dashboard-chart">{}<figcaption>{} {}</figcaption></figure>', svg, title, legend)
