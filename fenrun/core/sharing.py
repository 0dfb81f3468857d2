"""Share cards: what LINE, Facebook and X show when a link to the shop is pasted.

Every shareable page (home, category, product, a member's ``/r/<code>`` link) carries complete
Open Graph and Twitter tags, rendered by ``{% share_tags %}`` (``core/templatetags/sharing``)
from what is here. Absolute addresses come from ``FENRUN_SITE_URL``: behind the proxy the
request's own host is the proxy's, and a fetcher cannot follow a relative image.

The picture is the product's own photo where there is one, otherwise the shop's cover: the one
staff upload in the back office (``ShareSettings``, MANAGE_CATALOGUE), or a 1200×630 PNG with
the shop's name drawn once into MEDIA and reused until the name changes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.templatetags.static import static

CARD_WIDTH, CARD_HEIGHT = 1200, 630
CACHE_KEY = "fenrun:share-card:v1"
CACHE_SECONDS = 24 * 3600
BACKGROUND = (47, 107, 58)  # the shop's theme colour (base.html's theme-color)
INK = (255, 255, 255)
SOFT_INK = (222, 236, 224)

# Fonts that can draw the shop's (Chinese) name, first match wins; FENRUN_SHARE_FONT overrides.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


@dataclass(frozen=True)
class Picture:
    url: str  # absolute
    width: int
    height: int


def site_url(path: str = "/") -> str:
    """``path`` on the shop's public address (``FENRUN_SITE_URL``)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.FENRUN_SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def shop_description() -> str:
    return _shop_card()["description"]


def shop_cover() -> Picture:
    card = _shop_card()
    return Picture(**card["picture"])


def picture_of(image_file) -> Picture | None:
    """A product photo (an ImageField's file) as a card picture; None when it cannot be read."""
    if not image_file:
        return None
    try:
        width, height = image_file.width, image_file.height
    except (OSError, ValueError):
        return None
    if not width or not height:
        return None
    return Picture(site_url(image_file.url), width, height)


def forget_shop_card() -> None:
    cache.delete(CACHE_KEY)


def _shop_card() -> dict:
    """The shop's cover and description, cached: every shop page reads them, staff rarely
    change them (``ShareSettings.save`` forgets the cache)."""
    card = cache.get(CACHE_KEY)
    if card is None or card.get("shop_name") != settings.FENRUN_SHOP_NAME:
        card = _build_shop_card()
        cache.set(CACHE_KEY, card, CACHE_SECONDS)
    return card


def _build_shop_card() -> dict:
    from fenrun.core.models import ShareSettings

    current = ShareSettings.objects.filter(pk=ShareSettings.SINGLETON_PK).first()
    picture = picture_of(current.cover_image) if current and current.cover_image else None
    if picture is None:
        picture = default_cover()
    return {
        "shop_name": settings.FENRUN_SHOP_NAME,
        "description": current.description if current and current.description else "",
        "picture": asdict(picture),
    }


def default_cover() -> Picture:
    """The generated cover: made once per shop name into MEDIA; the static picture when no
    font on the machine can draw the name."""
    name = settings.FENRUN_SHOP_NAME
    digest = hashlib.sha1(name.encode()).hexdigest()[:12]
    path = f"share/default-cover-{digest}.png"
    if not default_storage.exists(path):
        png = render_cover(name, _host())
        if png is None:
            return Picture(site_url(static("img/og-default.png")), CARD_WIDTH, CARD_HEIGHT)
        path = default_storage.save(path, ContentFile(png))
    return Picture(site_url(default_storage.url(path)), CARD_WIDTH, CARD_HEIGHT)


def _host() -> str:
    url = settings.FENRUN_SITE_URL.split("://", 1)[-1]
    return url.split("/", 1)[0]


def _font_path() -> str | None:
    configured = getattr(settings, "FENRUN_SHARE_FONT", "") or ""
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _font(path: str, size: int):
    from PIL import ImageFont

    # A .ttc holds one face per script; the Traditional Chinese one draws Taiwan's glyphs.
    first = None
    for index in range(10):
        try:
            face = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        first = first or face
        family = " ".join(face.getname())
        if " TC" in family or "Traditional" in family:
            return face
    return first


def render_cover(name: str, caption: str = "") -> bytes | None:
    """A 1200×630 PNG: the shop's name large on the theme colour, the address below."""
    from PIL import Image, ImageDraw

    path = _font_path()
    if path is None:
        return None
    image = Image.new("RGB", (CARD_WIDTH, CARD_HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    size = 140
    font = _font(path, size)
    while size > 40 and draw.textlength(name, font=font) > CARD_WIDTH - 160:
        size -= 8
        font = _font(path, size)
    top = (CARD_HEIGHT - size) // 2 - (30 if caption else 0)
    draw.text((CARD_WIDTH // 2, top), name, font=font, fill=INK, anchor="mt")
    if caption:
        small = _font(path, 40)
        draw.text(
            (CARD_WIDTH // 2, top + size + 50), caption, font=small, fill=SOFT_INK, anchor="mt"
        )
    # A band along the bottom, so the card reads as a card on a white chat background too.
    draw.rectangle((0, CARD_HEIGHT - 24, CARD_WIDTH, CARD_HEIGHT), fill=SOFT_INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
