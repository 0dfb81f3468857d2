from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fenrun.core.auth import issue_integrator_token
from fenrun.core.models import IntegratorToken
from fenrun.core.scopes import DEFAULT_SCOPES, Scope


class Command(BaseCommand):
    help = (
        "Issue an API key for an integrator (a POS or another shop). The key is printed once "
        "and only its hash is stored; the name becomes the source of the orders it pushes. "
        "--scope (repeatable, or comma-separated) says what the key may do; without it the key "
        "may push and read its orders (orders.read, orders.write)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The integrator's name, e.g. pos-taipei (max 40).")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            metavar="SCOPE",
            help=f"One of {', '.join(Scope)}, or all.",
        )

    def handle(self, *args, name, scope, **options):
        name = name.strip()
        if len(name) > 40:
            raise CommandError("The name is longer than 40 characters.")
        if IntegratorToken.objects.filter(name=name).exists():
            raise CommandError(f"An integrator named {name!r} already exists.")
        wanted = [part.strip() for value in scope for part in value.split(",") if part.strip()]
        if "all" in wanted:
            wanted = list(Scope)
        try:
            token, key = issue_integrator_token(name, wanted or DEFAULT_SCOPES)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Integrator: {token.name}")
        self.stdout.write(f"Scopes: {' '.join(token.scopes)}")
        self.stdout.write(f"Key (shown once, keep it secret): {key}")
        self.stdout.write("Send it as the header  Authorization: Bearer <key>")
