"""Demo staff, member groups and about fifty members with Taiwanese names."""

import random

from django.contrib.auth.hashers import make_password

from fenrun.accounts.models import MemberGroup, User

STAFF_EMAIL = "staff@example.com"
STAFF_PASSWORD = "fenrun-demo-2026"
MEMBER_PASSWORD = "member-demo-2026"
MEMBER_COUNT = 50

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
GIVEN = [
    "怡君",
    "志明",
    "淑芬",
    "家豪",
    "雅婷",
    "冠宇",
    "佳穎",
    "俊傑",
    "美玲",
    "宗翰",
    "欣怡",
    "建宏",
    "詩涵",
    "承恩",
    "郁婷",
    "柏翰",
    "心怡",
    "哲瑋",
    "靜宜",
    "彥廷",
]


def member_email(n: int) -> str:
    return f"demo-member-{n:02d}@example.com"


def seed(stdout) -> None:
    groups = {}
    for order, (code, name) in enumerate(
        (("regular", "一般會員"), ("vip", "VIP"), ("dealer", "經銷商"))
    ):
        groups[code], _ = MemberGroup.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order, "is_default": code == "regular"}
        )
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD, name="店長 阿嵐")
    rng = random.Random(20261125)
    # One hash for every demo member: hashing fifty passwords one by one takes seconds.
    password_hash = make_password(MEMBER_PASSWORD)
    created = 0
    for n in range(1, MEMBER_COUNT + 1):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"09{rng.randint(10000000, 99999999)}"
        group = (
            groups["dealer"] if n % 10 == 0 else groups["vip"] if n % 4 == 0 else groups["regular"]
        )
        if User.objects.filter(email=member_email(n)).exists():
            continue
        while User.objects.filter(phone=phone).exists():
            phone = f"09{rng.randint(10000000, 99999999)}"
        User.objects.create(
            email=member_email(n), password=password_hash, name=name, phone=phone, group=group
        )
        created += 1
    stdout.write(f"members: {MEMBER_COUNT} demo members ({created} new), 3 groups")
