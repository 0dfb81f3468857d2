"""Analytics over JSON: the organisation chart's data and every report, with the pages' rules.

Staff with ``VIEW_REPORTS`` see everything, contact data only with ``VIEW_CONTACT_DATA``
(masked otherwise). A member sees themselves and their downline only: asking for anyone else
answers 403 with nothing about them, an unknown id 404, and other members' names come masked,
without phone or e-mail. The reports that rank or list the whole shop (leaderboards, depth,
campaigns, UTM, dashboard, tags) are staff only; each operation declares who may call it.
Dates are ``start``/``end`` as YYYY-MM-DD (both included) or a ``preset``; bad ones answer 400.
"""

from ninja import Router

from fenrun.analytics.api import chart, dashboard, members, reports, tags, traffic

router = Router(tags=["analytics"])
for family in (chart, members, reports, traffic, dashboard, tags):
    router.add_router("", family.router)
