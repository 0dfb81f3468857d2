"""Demo referral data: the demo members in a tree, campaigns, clicks with UTM sources,
sign-ups and order attributions. Idempotent: every step checks what is already there."""

import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fenrun.referrals import services
from fenrun.referrals.models import Campaign, Click, OrderAttribution, ReferralCode, ReferralNode

MEMBER_COUNT = 50
DEMO_MARK = "demo-seed"  # ua_hash of the demo's clicks: how a second run knows they exist
ROOTS = (1, 2, 3, 4)
# demo-member-01 → 05 → 09 → ... : a chain nine levels deep under the first source.
SPINE = (1, 5, 9, 13, 17, 21, 25, 29, 33)
UTM_SOURCES = [
    ("facebook", "cpc", 30),
    ("facebook", "social", 14),
    ("line", "social", 26),
    ("google", "cpc", 12),
    ("instagram", "social", 12),
    ("youtube", "video", 4),
    ("", "", 10),
]
VANITY = {1: "mountain-lin", 2: "tea-chen", 6: "kol-amy"}


def _members():
    User = get_user_model()
    members = {}
    for n in range(1, MEMBER_COUNT + 1):
        email = f"demo-member-{n:02d}@example.com"
        members[n], _created = User.objects.get_or_create(
            email=email, defaults={"name": f"示範會員{n:02d}", "password": "!"}
        )
    return members


def _build_tree(members, rng) -> int:
    bound = 0
    nodes = {n.pk: n for n in ReferralNode.objects.filter(pk__in=[m.pk for m in members.values()])}
    referrals = {n: 0 for n in members}
    for n in sorted(members):
        node = nodes.get(members[n].pk) or services.ensure_node(members[n])
        if node.bound_at is not None:
            continue
        if n in ROOTS:
            sponsor = None
        elif n in SPINE:
            sponsor = SPINE[SPINE.index(n) - 1]
        else:
            # Preferential attachment: members with more referrals attract more.
            candidates = list(range(1, n))
            sponsor = rng.choices(candidates, [1 + referrals[m] for m in candidates])[0]
        if sponsor is not None:
            referrals[sponsor] += 1
        services.bind_sponsor(
            members[n],
            members[sponsor] if sponsor else None,
            via=ReferralNode.BoundVia.IMPORT if sponsor else ReferralNode.BoundVia.NONE,
        )
        bound += 1
    return bound


def _campaigns(staff, members):
    now = timezone.now()
    tz = timezone.get_current_timezone()
    evening = timezone.localdate() - timedelta(days=7)
    live_start = datetime.combine(evening, time(20, 0), tzinfo=tz)
    specs = [
        dict(
            slug="live-2025-11",
            title="山嵐直播 11月場",
            kind=Campaign.Kind.LIVE,
            starts_at=live_start,
            ends_at=live_start + timedelta(hours=2),
            stream_url="https://www.youtube.com/live/demo-fenrun",
            owner=None,
        ),
        dict(
            slug="anniversary",
            title="週年慶 滿千免運",
            kind=Campaign.Kind.PROMOTION,
            starts_at=now - timedelta(days=40),
            ends_at=now + timedelta(days=10),
            owner=None,
        ),
        dict(
            slug="amy-tea-live",
            title="Amy 的茶葉開箱直播",
            kind=Campaign.Kind.LIVE,
            starts_at=live_start - timedelta(days=20),
            ends_at=live_start - timedelta(days=20) + timedelta(hours=1, minutes=30),
            owner=members[6],
        ),
    ]
    result = []
    for spec in specs:
        slug = spec.pop("slug")
        campaign, _created = Campaign.objects.get_or_create(
            slug=slug, defaults={**spec, "created_by": staff or spec["owner"]}
        )
        result.append(campaign)
    return result


def _clicks(members, campaigns, rng) -> int:
    from fenrun.catalog.models import Product

    if Click.objects.filter(ua_hash=DEMO_MARK).exists():
        return 0
    products = list(Product.objects.filter(is_active=True).only("id", "slug"))
    codes = {c.user_id: c for c in ReferralCode.objects.filter(user__in=members.values())}
    sharers = [n for n in members if n <= 30]  # the active promoters
    weights = [40 if n in (1, 2, 6) else 8 if n in SPINE else 3 for n in sharers]
    live, anniversary, amy_live = campaigns
    now = timezone.now()
    clicks = []
    for _ in range(360):
        n = rng.choices(sharers, weights)[0]
        source, medium, _weight = rng.choices(UTM_SOURCES, [w for *_x, w in UTM_SOURCES])[0]
        product = rng.choice(products) if products and rng.random() < 0.6 else None
        campaign = None
        roll = rng.random()
        if roll < 0.2:
            campaign = live
        elif roll < 0.3 and anniversary.starts_at < now:
            campaign = anniversary
        elif roll < 0.35 and n == 6:
            campaign = amy_live
        clicks.append(
            Click(
                code=codes[members[n].pk],
                referrer=members[n],
                product=product,
                target_path=f"/p/{product.slug}/" if product else "/",
                campaign=campaign,
                utm_source=source,
                utm_medium=medium,
                utm_campaign=campaign.slug if campaign else ("autumn" if source else ""),
                has_fbclid=source == "facebook",
                has_gclid=source == "google" and medium == "cpc",
                referring_host={
                    "facebook": "l.facebook.com",
                    "line": "line.me",
                    "google": "www.google.com",
                    "instagram": "l.instagram.com",
                    "youtube": "www.youtube.com",
                }.get(source, ""),
                ip_hash=f"{rng.getrandbits(64):016x}",
                ua_hash=DEMO_MARK,
            )
        )
    Click.objects.bulk_create(clicks, batch_size=200)
    return len(clicks)


def _spread_click_times(rng) -> None:
    """created_at is stamped on insert; move each click to its moment in the last 60 days."""
    now = timezone.now()
    live = Campaign.objects.get(slug="live-2025-11")
    amy = Campaign.objects.get(slug="amy-tea-live")
    clicks = list(Click.objects.filter(ua_hash=DEMO_MARK).select_related("campaign"))
    for click in clicks:
        if click.campaign_id == live.pk:
            click.created_at = live.starts_at + timedelta(minutes=rng.uniform(-60, 150))
        elif click.campaign_id == amy.pk:
            click.created_at = amy.starts_at + timedelta(minutes=rng.uniform(-30, 90))
        elif click.campaign_id:
            start = click.campaign.starts_at
            click.created_at = start + (now - start) * rng.random()
        else:
            click.created_at = now - timedelta(days=rng.uniform(0, 60))
    Click.objects.bulk_update(clicks, ["created_at"], batch_size=200)


def _demo_clicks_by_referrer() -> dict[int, list[tuple[int, int | None]]]:
    result: dict[int, list] = {}
    rows = Click.objects.filter(ua_hash=DEMO_MARK).order_by("pk")
    for pk, referrer_id, campaign_id in rows.values_list("pk", "referrer_id", "campaign_id"):
        result.setdefault(referrer_id, []).append((pk, campaign_id))
    return result


def _demo_clicks_by_referrer() -> dict[int, list[tuple[int, int | None]]]:
    result: dict[int, list] = {}
    rows = Click.objects.filter(ua_hash=DEMO_MARK).order_by("pk")
    for pk, referrer_id, campaign_id in rows.values_list("pk", "referrer_id", "campaign_id"):
        result.setdefault(referrer_id, []).append((pk, campaign_id))
    return result


def _signups(members, rng) -> int:
    """Tie some bound members to one of their sponsor's clicks (how they arrived)."""
    linked = 0
    by_referrer = _demo_clicks_by_referrer()
    nodes = ReferralNode.objects.filter(pk__in=[m.pk for m in members.values()]).order_by("pk")
    for node in nodes:
        if node.sponsor_id is None or node.signup_click_id or rng.random() > 0.6:
            continue
        if not by_referrer.get(node.sponsor_id):
            continue
        click_id, campaign_id = rng.choice(by_referrer[node.sponsor_id])
        ReferralNode.objects.filter(pk=node.pk).update(
            signup_click_id=click_id,
            signup_campaign_id=campaign_id,
            bound_via=ReferralNode.BoundVia.LINK,
        )
        linked += 1
    return linked


def _attribute_orders(rng) -> int:
    """Demo orders were placed before the tree existed: attribute them as if it had."""
    from fenrun.orders.models import Order

    live = Campaign.objects.get(slug="live-2025-11")
    by_referrer = _demo_clicks_by_referrer()
    promoters = sorted(by_referrer)
    done = 0
    for order in Order.objects.filter(source="demo").order_by("pk"):
        attribution = OrderAttribution.objects.filter(order=order).first()
        if attribution is not None and (attribution.referrer_id or attribution.campaign_id):
            continue
        if order.user_id:
            referrer_id = (
                ReferralNode.objects.filter(pk=order.user_id)
                .values_list("sponsor_id", flat=True)
                .first()
            )
        else:
            referrer_id = rng.choice(promoters) if promoters else None
        near_live = abs((order.placed_at - live.starts_at).total_seconds()) < 3 * 86400
        campaign = live if near_live or rng.random() < 0.1 else None
        click_id = None
        if referrer_id in by_referrer and rng.random() < 0.5:
            click_id = rng.choice(by_referrer[referrer_id])[0]
        if attribution is None:
            attribution = OrderAttribution(order=order)
        attribution.referrer_id = referrer_id
        attribution.campaign = campaign
        attribution.click_id = click_id
        attribution.save()
        done += 1
    return done


def seed(stdout) -> None:
    rng = random.Random(20251125)
    User = get_user_model()
    staff = User.objects.filter(is_staff=True).order_by("pk").first()
    with transaction.atomic():
        members = _members()
        for member in members.values():
            services.ensure_code(member)
        for n, code in VANITY.items():
            if not ReferralCode.objects.filter(
                user=members[n], kind=ReferralCode.Kind.VANITY
            ).exists():
                try:
                    services.choose_vanity_code(members[n], code)
                except services.ReferralError:
                    pass  # taken by a real member: the demo does without
        bound = _build_tree(members, rng)
        campaigns = _campaigns(staff, members)
        clicks = _clicks(members, campaigns, rng)
        if clicks:
            _spread_click_times(rng)
            signups = _signups(members, rng)
        else:
            signups = 0
        # Only right after the tree was built: later orders are attributed when placed.
        orders = _attribute_orders(rng) if bound else 0
    depth = max(
        ReferralNode.objects.filter(user__in=members.values()).values_list("depth", flat=True)
    )
    stdout.write(
        f"referrals: {len(members)} members in the tree ({bound} newly bound, {len(ROOTS)} sources, "
        f"{depth} levels deep), {len(campaigns)} campaigns, {clicks} new clicks, "
        f"{signups} sign-ups linked, {orders} orders attributed"
    )
