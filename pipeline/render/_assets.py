"""Offline assets for the map: vendored files inlined into the page, and the CSP.

Folium's :class:`~folium.elements.JSCSSMixin` adds ``<script src=CDN>`` links to the page
header, keyed by name.  :class:`InlineAssetsMixin` keeps that mechanism (same header, same
de-duplication by name) but adds the *contents* of the files in ``pipeline/assets`` instead, so
a map opens with no network at all.  The Content-Security-Policy is computed after rendering:
it allows exactly the inline scripts the page was built with (by sha256), no origin at all
unless online tiles are enabled.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from jinja2 import Template

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CSP_PLACEHOLDER = "__ROUTE_RISK_CSP__"
_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_CSS_URL_RE = re.compile(r"url\((images/[A-Za-z0-9_.-]+\.png)\)")


@functools.cache
def asset_text(relpath: str) -> str:
    """Return the text of a vendored asset, ready to inline.

    Stylesheet ``url(images/x.png)`` references become ``data:`` URIs (a relative URL would
    make the browser request a file beside the map).
    """
    text = (ASSETS / relpath).read_text(encoding="utf-8")
    if relpath.endswith(".css"):
        folder = relpath.rsplit("/", 1)[0]

        def to_data_uri(match: re.Match) -> str:
            png = (ASSETS / folder / match.group(1)).read_bytes()
            return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

        text = _CSS_URL_RE.sub(to_data_uri, text)
    if re.search(r"</(script|style)", text, re.IGNORECASE):
        raise ValueError(f"asset {relpath!r} contains a closing tag and cannot be inlined")
    return text


class InlineScript(Element):
    """A ``<script>`` element holding the text of a vendored asset."""

    _template = Template("<script>{{ this.code }}</script>")

    def __init__(self, relpath: str):
        super().__init__()
        self.code = asset_text(relpath)


class InlineStyle(Element):
    """A ``<style>`` element holding the text of a vendored stylesheet."""

    _template = Template("<style>{{ this.code }}</style>")

    def __init__(self, relpath: str | None = None, code: str | None = None):
        super().__init__()
        self.code = asset_text(relpath) if relpath else (code or "")


class CspMeta(Element):
    """The Content-Security-Policy ``<meta>``; its value is filled in by :func:`apply_csp`."""

    _template = Template(
        '<meta http-equiv="Content-Security-Policy" content="' + CSP_PLACEHOLDER + '">'
    )


class InlineAssetsMixin(JSCSSMixin):
    """Like folium's JSCSSMixin, but inlines ``inline_js``/``inline_css`` from pipeline/assets."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []
    inline_js: list[tuple[str, str]] = []
    inline_css: list[tuple[str, str]] = []

    def render(self, **kwargs):
        """Add the inline assets to the figure header (once per name), then render."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} must be inside a branca Figure to render")
        for name, relpath in self.inline_css:
            if name not in figure.header._children:
                figure.header.add_child(InlineStyle(relpath), name=name)
        for name, relpath in self.inline_js:
            if name not in figure.header._children:
                figure.header.add_child(InlineScript(relpath), name=name)
        super().render(**kwargs)


def apply_csp(html: str, *, img_origins: tuple[str, ...] = ()) -> str:
    """Fill the CSP placeholder with a policy allowing exactly the page's inline scripts.

    Parameters
    ----------
    html : str
        A page rendered with a :class:`CspMeta` in its header.
    img_origins : tuple of str
        Extra image origins (tile servers), only when online tiles are enabled.

    Returns
    -------
    str
        The page with the policy in place.

    Raises
    ------
    ValueError
        If the page has no placeholder or loads a script from a URL.
    """
    if html.count(CSP_PLACEHOLDER) != 1:
        raise ValueError("the page has no (or several) CSP placeholder(s)")
    hashes = []
    for attrs, body in _SCRIPT_RE.findall(html):
        if "src" in attrs.lower():
            raise ValueError(f"external script in an offline page: <script{attrs}>")
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    img = " ".join(("data:", "blob:", *img_origins))
    policy = (
        "default-src 'none'; "
        f"script-src {' '.join(dict.fromkeys(hashes))}; "
        "style-src 'unsafe-inline'; "
        f"img-src {img}; "
        "font-src data:; connect-src 'none'; media-src 'none'; object-src 'none'; "
        "frame-src 'none'; worker-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return html.replace(CSP_PLACEHOLDER, policy, 1)
