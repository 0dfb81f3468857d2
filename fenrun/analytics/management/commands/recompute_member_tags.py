from django.core.management.base import BaseCommand, CommandError

from fenrun.analytics.models import TagRule
from fenrun.analytics.services import recompute_member_tags


class Command(BaseCommand):
    help = (
        "Recompute the high-contribution tags of every rule (or of --rule ID). "
        "Run it daily from cron; staff can also press “Recompute now” on the tags page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rule", type=int, action="append", help="Only this rule id.")

    def handle(self, *args, **options):
        rule_ids = options.get("rule")
        if rule_ids:
            missing = set(rule_ids) - set(
                TagRule.objects.filter(pk__in=rule_ids).values_list("pk", flat=True)
            )
            if missing:
                raise CommandError(f"No tag rule with id {', '.join(map(str, sorted(missing)))}.")
        results = recompute_member_tags(rule_ids=rule_ids)
        for r in results:
            self.stdout.write(f"{r.rule}: {r.tagged} members ({r.period}; +{r.added} -{r.removed})")
        self.stdout.write(self.style.SUCCESS(f"{len(results)} tag rules recomputed."))
