"""Load the demo dealer group. Idempotent: running it again adds nothing twice.

Each installed app may ship a ``demo.py`` with ``seed(ctx)``; they run in INSTALLED_APPS order,
sharing ``ctx`` (the group, its stores, …), so later apps build on earlier ones.
"""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Load demo data: a dealer group with two stores, a user for every role, catalog and activity."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        # The demo's notifications and call lists are produced inline: queued, thousands of tasks
        # would keep a fresh embedded worker busy for minutes before anything else runs.
        from dealercrm.celery import app

        app.conf.task_always_eager = True
        ctx: dict = {"stdout": self.stdout}
        for config in apps.get_app_configs():
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.seed(ctx)
            self.stdout.write(f"demo data: {config.label} ✓")
        if not options["quiet_logins"]:
            self.stdout.write("")
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for username, role, store in demo_logins():
                self.stdout.write(f"  {username:<18} {role:<17} {store}")
