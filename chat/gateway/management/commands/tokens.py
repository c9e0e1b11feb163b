"""`manage.py tokens create USERNAME --name NAME [--expires-days N]`, `tokens list USERNAME`, `tokens revoke ID`."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chat.gateway import tokens
from chat.gateway.models import ApiToken


class Command(BaseCommand):
    help = "Personal API tokens for the /v1 gateway: create (printed once, on the last line), list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token; the token is the last line printed.")
        create.add_argument("username")
        create.add_argument("--name", required=True)
        create.add_argument("--expires-days", type=int, default=None)
        create.add_argument("--allow", action="append", default=[], metavar="PROVIDER[/MODEL]",
                            help="Only this provider or model (repeatable); default: all.")
        listing = sub.add_parser("list", help="A user's tokens (never the secret).")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        return user

    def _create(self, username, name, expires_days, allow, **_):
        try:
            row, token = tokens.create(self._user(username), name, expires_days, allow)
        except ValueError as error:
            raise CommandError(str(error)) from None
        expiry = f", expires {row.expires:%Y-%m-%d %H:%M} UTC" if row.expires else ""
        self.stderr.write(f"Token {row.pk} {row.name!r} for {username}{expiry}. It is shown once, below:")
        self.stdout.write(token)

    def _list(self, username, **_):
        for row in ApiToken.objects.filter(user=self._user(username)):
            state = "revoked" if row.revoked else "active" if row.active else "expired"
            last = f"{row.last_used:%Y-%m-%d %H:%M}" if row.last_used else "never"
            self.stdout.write(f"{row.pk}\t{row.name}\tplg_{row.key_id}…\t{state}\tlast used {last}")

    def _revoke(self, id, **_):
        row = ApiToken.objects.filter(pk=id).first()
        if row is None:
            raise CommandError(f"No token {id}.")
        if not tokens.revoke(row):
            raise CommandError(f"Token {id} was revoked already.")
        self.stdout.write(f"Revoked token {id} ({row.name}) of {row.user}.")
