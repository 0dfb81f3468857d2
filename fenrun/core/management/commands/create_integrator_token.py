from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fenrun.core.auth import issue_integrator_token
from fenrun.core.models import IntegratorToken


class Command(BaseCommand):
    help = (
        "Issue an API key for an integrator (a POS or another shop). The key is printed once "
        "and only its hash is stored; the name becomes the source of the orders it pushes."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The integrator's name, e.g. pos-taipei (max 40).")

    def handle(self, *args, name, **options):
        name = name.strip()
        if len(name) > 40:
            raise CommandError("The name is longer than 40 characters.")
        if IntegratorToken.objects.filter(name=name).exists():
            raise CommandError(f"An integrator named {name!r} already exists.")
        try:
            token, key = issue_integrator_token(name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Integrator: {token.name}")
        self.stdout.write(f"Key (shown once, keep it secret): {key}")
        self.stdout.write("Send it as the header  Authorization: Bearer <key>")
