"""The demo shop's catalogue: a small Taiwanese farm brand, 山嵐小農."""

import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from fenrun.catalog.models import Category, Product, ProductImage

CATEGORIES = [
    ("fruit", "當季水果", "產地直送的當季鮮果，清晨採收、當日出貨。", None),
    ("vegetables", "有機蔬菜", "無農藥栽培的山區蔬菜箱與單品。", None),
    ("tea", "高山茶飲", "阿里山、梨山的手採高山茶。", None),
    ("gifts", "伴手禮盒", "節慶送禮與企業禮盒。", None),
    ("dried-fruit", "果乾蜜餞", "自家果園的低溫烘焙果乾。", "gifts"),
]

# slug, name, category, price, compare-at price, stock, summary, colour
PRODUCTS = [
    (
        "alishan-oolong-150g",
        "阿里山高山烏龍茶 150g",
        "tea",
        680,
        780,
        40,
        "海拔1,400公尺手採，焙火清香、回甘明顯。",
        "#5b8c5a",
    ),
    (
        "lishan-tea-gift",
        "梨山茶 雙罐禮盒",
        "tea",
        1880,
        2200,
        15,
        "梨山茶區冬茶，兩罐各75g，附提袋。",
        "#3f6e4a",
    ),
    (
        "honey-black-tea",
        "蜜香紅茶 三角茶包 20入",
        "tea",
        350,
        None,
        80,
        "小綠葉蟬著涎的天然蜜香。",
        "#a0522d",
    ),
    (
        "sun-moon-lake-t18",
        "日月潭紅玉紅茶 T18 75g",
        "tea",
        520,
        600,
        30,
        "台茶18號，肉桂與薄荷香氣。",
        "#8b3a3a",
    ),
    (
        "pingtung-mango",
        "屏東愛文芒果 5台斤",
        "fruit",
        990,
        1200,
        25,
        "枋山愛文，香甜多汁，六月限定。",
        "#f2a541",
    ),
    (
        "chiayi-persimmon",
        "嘉義甜柿 10入",
        "fruit",
        880,
        None,
        20,
        "脆甜甜柿，秋季限定。",
        "#e07b39",
    ),
    (
        "tainan-guava",
        "燕巢珍珠芭樂 5台斤",
        "fruit",
        450,
        None,
        50,
        "脆口低甜度，營養滿分。",
        "#9bc53d",
    ),
    (
        "lishan-apple",
        "梨山蜜蘋果 8入禮盒",
        "fruit",
        1280,
        1500,
        12,
        "高山日夜溫差大，果肉脆甜帶蜜。",
        "#c0392b",
    ),
    (
        "dongshan-longan",
        "東山龍眼 3台斤",
        "fruit",
        390,
        None,
        35,
        "台南東山龍眼，夏末限定。",
        "#b5835a",
    ),
    (
        "veg-box-small",
        "有機蔬菜箱 小箱(6種)",
        "vegetables",
        580,
        None,
        60,
        "兩人一週份量，當季隨機6種。",
        "#6ab04c",
    ),
    (
        "veg-box-large",
        "有機蔬菜箱 大箱(10種)",
        "vegetables",
        880,
        980,
        40,
        "四人一週份量，當季隨機10種。",
        "#4a9c3b",
    ),
    (
        "mountain-cabbage",
        "高山高麗菜 2顆",
        "vegetables",
        260,
        None,
        70,
        "清甜脆口，炒、煮、醃皆宜。",
        "#a3cb38",
    ),
    (
        "purple-sweet-potato",
        "紫心地瓜 3公斤",
        "vegetables",
        320,
        None,
        45,
        "綿密香甜，烤、蒸都好吃。",
        "#6c3483",
    ),
    (
        "organic-ginger",
        "老薑 1公斤",
        "vegetables",
        280,
        None,
        55,
        "台東山區老薑，辛香十足。",
        "#d4a017",
    ),
    (
        "new-year-gift-box",
        "新春好運禮盒",
        "gifts",
        1680,
        1980,
        20,
        "高山茶＋果乾＋手工餅乾的新年組合。",
        "#c0392b",
    ),
    (
        "corporate-gift-box",
        "企業感謝禮盒 10盒組",
        "gifts",
        12800,
        14800,
        5,
        "企業送禮首選，可客製賀卡。",
        "#8e44ad",
    ),
    (
        "mid-autumn-box",
        "中秋茶點禮盒",
        "gifts",
        1280,
        None,
        18,
        "高山茶與鳳梨酥的經典搭配。",
        "#d35400",
    ),
    (
        "dried-mango",
        "愛文芒果乾 150g",
        "dried-fruit",
        250,
        None,
        90,
        "無添加糖，低溫烘焙。",
        "#f39c12",
    ),
    (
        "dried-guava",
        "芭樂乾 120g",
        "dried-fruit",
        180,
        None,
        0,
        "酸甜涮嘴，辦公室零嘴。",
        "#27ae60",
    ),
    (
        "dried-persimmon",
        "柿餅 6入",
        "dried-fruit",
        450,
        520,
        25,
        "新埔風味柿餅，軟Q香甜。",
        "#e67e22",
    ),
]


def _image_bytes(colour: str, seed: int) -> bytes:
    """A simple generated picture so the demo shows images without bundling photos."""
    rng = random.Random(seed)
    img = Image.new("RGB", (800, 800), colour)
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        r = rng.randint(80, 260)
        x, y = rng.randint(0, 800), rng.randint(0, 800)
        shade = tuple(min(255, int(int(colour[i : i + 2], 16) * 1.25)) for i in (1, 3, 5))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    draw.rounded_rectangle((250, 250, 550, 550), radius=60, fill=(255, 255, 255))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def seed(stdout) -> None:
    categories: dict[str, Category] = {}
    for index, (slug, name, description, parent) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "sort_order": index,
                "parent": categories.get(parent) if parent else None,
            },
        )
    created = 0
    for index, (slug, name, cat, price, compare, stock, summary, colour) in enumerate(PRODUCTS):
        product, was_created = Product.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "category": categories[cat],
                "price": Decimal(price),
                "compare_at_price": Decimal(compare) if compare else None,
                "stock": stock,
                "summary": summary,
                "description": f"{summary}\n\n山嵐小農與在地農友契作，友善耕作、產地直送。"
                "收到後請冷藏保存，享受台灣在地的好滋味。",
                "seo_description": f"{name}｜{summary}",
                "seo_keywords": f"{name},{categories[cat].name},山嵐小農,產地直送",
            },
        )
        if was_created:
            created += 1
        if not product.images.exists():
            image = ProductImage(product=product, alt=name, sort_order=0)
            image.image.save(f"{slug}.jpg", ContentFile(_image_bytes(colour, index)), save=True)
    stdout.write(
        f"catalogue: {len(CATEGORIES)} categories, {len(PRODUCTS)} products ({created} new)"
    )
