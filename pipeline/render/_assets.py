"""Offline assets for the map: vendored files inlined into the page, and the CSP.

Folium's :class:`~folium.elements.JSCSSMixin` adds ``<script src=CDN>`` links to the page
header, keyed by name.  :class:`InlineAssetsMixin` keeps that mechanism (same header, same
de-duplication by name) but adds the *contents* of the files in ``pipeline/assets`` instead, so
a map opens with no network at all.

:func:`render_page` assembles the page and its Content-Security-Policy: it allows exactly the
inline scripts the page was built with (by sha256 of their final bytes), no origin at all
unless online tiles are enabled.  The policy is set on the :class:`CspMeta` element before
the header is rendered; nothing is ever substituted into the rendered text, so no data in the
page (a title, a note, a category) can forge, move or break the policy.
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

from ._escaping import escape_text

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# A CSP source expression for an origin: scheme://host[:port], host labels or a * wildcard.
_ORIGIN_RE = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$")
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
    """The Content-Security-Policy ``<meta>``; :func:`render_page` sets its policy."""

    _template = Template('<meta http-equiv="Content-Security-Policy" content="{{ this.content }}">')

    def __init__(self) -> None:
        super().__init__()
        self.policy = ""

    @property
    def content(self) -> str:
        """The policy as an attribute value (quotes inside a policy are ``'``, kept as is)."""
        return self.policy.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


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


def is_csp_origin(origin: str) -> bool:
    """Return whether ``origin`` is a plain ``http(s)://[*.]host[:port]`` CSP source."""
    return bool(_ORIGIN_RE.match(origin))


def csp_policy(script_bodies: list[str], img_origins: tuple[str, ...] = ()) -> str:
    """Return the page's Content-Security-Policy: exactly these inline scripts, no origin.

    Parameters
    ----------
    script_bodies : list of str
        The exact text between ``<script>`` and ``</script>`` of every script of the page.
    img_origins : tuple of str
        Image origins (tile servers, ``https://*.tile.example.org``), only for online tiles.

    Raises
    ------
    ValueError
        If an origin is not a plain ``http(s)://host[:port]`` source expression.
    """
    bad = [o for o in img_origins if not is_csp_origin(o)]
    if bad:
        raise ValueError(f"not an http(s) origin for the CSP: {bad[0]!r}")
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode('utf-8')).digest()).decode()}'"
        for b in script_bodies
    ]
    img = " ".join(("data:", "blob:", *img_origins))
    return (
        "default-src 'none'; "
        f"script-src {' '.join(dict.fromkeys(hashes))}; "
        "style-src 'unsafe-inline'; "
        f"img-src {img}; "
        "font-src data:; connect-src 'none'; media-src 'none'; object-src 'none'; "
        "frame-src 'none'; worker-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _script_bodies(markup: str, where: str) -> list[str]:
    """Bodies of the ``<script>`` elements of rendered markup that holds no unescaped data."""
    bodies = []
    for attrs, body in _SCRIPT_RE.findall(markup):
        if "src" in attrs.lower():
            raise ValueError(f"external script in an offline page ({where}): <script{attrs}>")
        bodies.append(body)
    return bodies


def render_page(figure: Figure, *, img_origins: tuple[str, ...] = ()) -> str:
    """Render a branca Figure to one HTML page whose CSP allows exactly its own scripts.

    Renders like :meth:`branca.element.Figure.render` (same page, byte for byte), in three
    parts: the map script and the body first, then the policy from the final bytes of every
    script (the header's inline assets, the body's, the map script), set on the header's
    :class:`CspMeta`, then the header.  Data reaches only the body and the map script, and
    only escaped (:func:`~pipeline.render.escape_text`, script-safe JSON), so it cannot add a
    script, and the policy is never looked for in, or substituted into, the page text.

    Parameters
    ----------
    figure : branca.element.Figure
        The root of a map whose header holds a :class:`CspMeta` named ``"csp"``.
    img_origins : tuple of str
        Extra image origins (tile servers), only when online tiles are enabled.

    Returns
    -------
    str
        The page.

    Raises
    ------
    ValueError
        If the header has no :class:`CspMeta`, a script is loaded from a URL, or an origin is
        not a plain http(s) origin.
    """
    for child in figure._children.values():  # what Figure.render does before its template
        child.render()
    csp = figure.header._children.get("csp")
    if not isinstance(csp, CspMeta):
        raise ValueError("the page header has no CspMeta named 'csp'")
    body = figure.html.render()
    script = "\n    " + figure.script.render() + "\n"
    bodies = []
    for name, child in figure.header._children.items():
        if child is not csp:
            bodies += _script_bodies(child.render(), f"header {name!r}")
    bodies += _script_bodies(body, "body")
    csp.policy = csp_policy([*bodies, script], img_origins)
    header = figure.header.render()
    title = f"<title>{escape_text(figure.title)}</title>" if figure.title else ""
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"{title}    {header}\n</head>\n<body>\n    {body}\n</body>\n"
        f"<script>{script}</script>\n</html>\n"
    )
