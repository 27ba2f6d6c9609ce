"""QR codes drawn on the server as inline SVG (segno), so a page needs no script and no
third-party service to show one."""

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks


def qr_svg(data: str, *, label: str, size: int = 160) -> SafeString:
    """``data`` as a QR code: an ``<svg>`` for embedding in HTML, about ``size`` CSS
    pixels square (a whole number of pixels per module, so the edges stay sharp), named
    ``label`` for screen readers (role="img").

    Black modules on a white square that includes the quiet zone, so the code scans
    whatever the page's background. Made afresh on every call: it usually holds a
    secret address, and nothing here caches it."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        omitsize=True,  # a viewBox only; the size is set below
        svgclass="qr-code",
        lineclass=None,
    )
    modules = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    pixels = modules * max(1, round(size / modules))
    # svg_inline writes neither role nor aria-label; segno's own markup has no text to escape.
    opening = (
        f'<svg role="img" aria-label="{escape(label)}" width="{pixels}" height="{pixels}" shape-rendering="crispEdges" '
    )
    return mark_safe(svg.replace("<svg ", opening, 1))  # segno's own markup and an escaped label
