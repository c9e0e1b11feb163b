"""`manage.py providers add|update|remove|enable|disable|list|models|check`: provider set-up without the admin."""
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from providers import registry
from providers.models import Provider
from providers.presets import apply_preset, get_preset
from providers.services import check_health, describe_health, refresh_models
from providers.types import ProviderError


class Command(BaseCommand):
    help = "Add, list and check LLM providers (keys are never printed)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True,
                                        metavar="{add,update,remove,enable,disable,list,models,check}")
        add = actions.add_parser("add", help="Register a provider.")
        add.add_argument("--name")
        add.add_argument("--slug")
        add.add_argument("--kind", choices=[kind for kind, _ in registry.kind_choices()])
        add.add_argument("--base-url")
        key = add.add_mutually_exclusive_group()
        key.add_argument("--api-key-env", help="Read the key from this environment variable.")
        key.add_argument("--api-key-stdin", action="store_true", help="Read the key from standard input; stored encrypted.")
        add.add_argument("--default-model")
        add.add_argument("--preset", help="Fill every field not given from this preset.")
        update = actions.add_parser("update", help="Change a provider's settings; what is not given stays.")
        update.add_argument("slug")
        update.add_argument("--name")
        update.add_argument("--base-url")
        update.add_argument("--default-model")
        key = update.add_mutually_exclusive_group()
        key.add_argument("--api-key-env", help="Read the key from this environment variable from now on.")
        key.add_argument("--api-key-stdin", action="store_true", help="Read a new key from standard input.")
        key.add_argument("--clear-key", action="store_true", help="Remove the key.")
        update.add_argument("--timeout", type=float, help="Seconds to wait for a reply to start, retries included.")
        update.add_argument("--idle-timeout", type=float, help="Seconds of silence allowed between pieces of a reply.")
        update.add_argument("--retries", type=int, help="Retries before a reply starts.")
        for action, text in (("remove", "Delete a provider and its models."), ("enable", "Offer a provider again."),
                             ("disable", "Stop offering a provider (nothing is deleted).")):
            actions.add_parser(action, help=text).add_argument("slug")
        actions.add_parser("list", help="List providers.")
        models = actions.add_parser("models", help="Show a provider's models.")
        models.add_argument("slug")
        models.add_argument("--refresh", action="store_true", help="Ask the provider for its models first.")
        check = actions.add_parser("check", help="Health check; exit code 0 when healthy.")
        check.add_argument("slug")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    # add ------------------------------------------------------------------------

    def handle_add(self, **options):
        provider = self._provider_from(options)
        if options["api_key_stdin"]:
            provider.set_api_key(self._read_key(options.get("stdin") or sys.stdin))
        try:
            provider.full_clean()
        except ValidationError as error:
            raise CommandError(_explain(error)) from None
        provider.save()
        self.stdout.write(f"Added {provider.slug} ({provider.name}, {provider.kind}) at {provider.base_url}; "
                          f"key: {provider.key_hint()}.")

    def _provider_from(self, options) -> Provider:
        provider = Provider()
        if options["preset"]:
            try:
                apply_preset(provider, get_preset(options["preset"]))
            except ValueError as error:
                raise CommandError(str(error)) from None
        for option, field in (("name", "name"), ("slug", "slug"), ("kind", "kind"), ("base_url", "base_url"),
                              ("default_model", "default_model"), ("api_key_env", "api_key_env")):
            if options[option] is not None:
                setattr(provider, field, options[option])
        if options["api_key_stdin"]:
            provider.api_key_env = ""
        missing = [f"--{o.replace('_', '-')}" for o in ("name", "slug", "base_url") if not getattr(provider, o)]
        if missing:
            raise CommandError(f"Give {', '.join(missing)} (or --preset to fill them).")
        if Provider.objects.filter(slug=provider.slug).exists():
            raise CommandError(f"A provider with slug {provider.slug!r} exists already; choose another --slug.")
        return provider

    @staticmethod
    def _read_key(stream) -> str:
        key = stream.readline().strip()
        if not key:
            raise CommandError("--api-key-stdin was given but standard input held no key.")
        return key

    # update, remove, enable, disable --------------------------------------------------------

    def handle_update(self, slug, **options):
        provider = _get(slug)
        changed = self._apply_update(provider, options)
        if not changed:
            raise CommandError("Nothing to change: give at least one option (see `providers update --help`).")
        try:
            provider.full_clean()
        except ValidationError as error:
            raise CommandError(_explain(error)) from None
        provider.save()
        self.stdout.write(f"Updated {provider.slug}: {', '.join(changed)}; key: {provider.key_hint()}.")

    def _apply_update(self, provider: Provider, options) -> list[str]:
        changed = []
        for option, field in (("name", "name"), ("base_url", "base_url"), ("default_model", "default_model"),
                              ("timeout", "timeout_seconds"), ("idle_timeout", "idle_timeout_seconds"),
                              ("retries", "max_retries")):
            value = options[option]
            if value is None:
                continue
            if option in ("timeout", "idle_timeout") and not value > 0:
                raise CommandError(f"--{option.replace('_', '-')} must be a number of seconds above 0.")
            if option == "retries" and value < 0:
                raise CommandError("--retries must be 0 or more.")
            setattr(provider, field, value)
            changed.append(field)
        if options["api_key_env"] is not None:
            provider.set_api_key(None)
            provider.api_key_env = options["api_key_env"]
            changed.append("key")
        elif options["api_key_stdin"]:
            provider.set_api_key(self._read_key(options.get("stdin") or sys.stdin))
            provider.api_key_env = ""
            changed.append("key")
        elif options["clear_key"]:
            provider.set_api_key(None)
            provider.api_key_env = ""
            changed.append("key")
        return changed

    def handle_remove(self, slug, **options):
        provider = _get(slug)
        models = provider.provider_models.count()
        provider.delete()
        self.stdout.write(f"Removed {slug} ({provider.name}) and its {models} model{'' if models == 1 else 's'}.")

    def handle_enable(self, slug, **options):
        self._set_enabled(slug, True)

    def handle_disable(self, slug, **options):
        self._set_enabled(slug, False)

    def _set_enabled(self, slug: str, enabled: bool) -> None:
        provider = _get(slug)
        provider.enabled = enabled
        provider.save(update_fields=["enabled", "updated"])
        self.stdout.write(f"{provider.slug} is {'enabled' if enabled else 'disabled'}.")

    # list, models, check --------------------------------------------------------------

    def handle_list(self, **options):
        providers = Provider.objects.annotate(model_count=Count("provider_models")).order_by("slug")
        if not providers:
            self.stdout.write("No providers yet: add one with `manage.py providers add` or in the admin.")
            return
        self.stdout.write("slug\tname\tkind\tbase_url\tkey\tenabled\tmodels")
        for p in providers:
            enabled = "yes" if p.enabled else "no"
            self.stdout.write(f"{p.slug}\t{p.name}\t{p.kind}\t{p.base_url}\t{p.key_hint()}\t{enabled}\t{p.model_count}")

    def handle_models(self, slug, refresh, **options):
        provider = _get(slug)
        if refresh:
            try:
                refresh_models(provider)
            except ProviderError as error:
                raise CommandError(f"Could not list models: {error.message}") from None
        rows = provider.provider_models.order_by("model_id")
        if not rows:
            self.stdout.write(f"{provider.slug} has no models yet; run with --refresh to discover them.")
        for row in rows:
            context = f"\t{row.context_window} tokens" if row.context_window else ""
            self.stdout.write(f"{row.model_id}{context}")

    def handle_check(self, slug, **options):
        provider = _get(slug)
        result = check_health(provider)
        self.stdout.write(describe_health(provider, result))
        if not result.ok:
            raise CommandError(f"{provider.slug} is not healthy.", returncode=1)


def _get(slug: str) -> Provider:
    try:
        return Provider.objects.get(slug=slug)
    except Provider.DoesNotExist:
        known = ", ".join(Provider.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"No provider {slug!r}; known slugs: {known}.") from None


def _explain(error: ValidationError) -> str:
    parts = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
    return "Invalid provider: " + "; ".join(parts)
