"""`manage.py bootstrap`: run once after migrate, before any server process starts."""
import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from chat.recovery import mark_interrupted_replies
from providers.provisioning import provision_from_environment


class Command(BaseCommand):
    help = "Create the first admin, providers from key variables, and mark interrupted replies. Never prompts."

    def handle(self, *args, **options):
        self.ensure_superuser()
        for provider in provision_from_environment():
            self.stdout.write(f"Added provider {provider.slug} (key from ${provider.api_key_env}).")
        interrupted = mark_interrupted_replies()
        if interrupted:
            self.stdout.write(f"Marked {interrupted} interrupted replies.")

    def ensure_superuser(self) -> None:
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        if users.filter(username=username).exists():
            self.stderr.write(f"No superuser exists and user {username!r} is taken: set DJANGO_SUPERUSER_USERNAME "
                              "to another name, or run `manage.py createsuperuser`.")
            return
        given = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        password = given or secrets.token_urlsafe(12)
        users.create_superuser(username, os.environ.get("DJANGO_SUPERUSER_EMAIL", ""), password)
        if given:
            self.stdout.write(f"Created admin user {username!r} with the password from DJANGO_SUPERUSER_PASSWORD.")
        else:
            self.stdout.write(self.style.WARNING(
                f"Created admin user {username!r} with password: {password}\n"
                "It is shown only this once: sign in and change it (admin > Users)."))
