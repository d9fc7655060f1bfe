from django.core.management.base import BaseCommand

from branches.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Load the demo organisation (HQ, 北京/上海/广州, ~20 specialists) and each app's demo activity. Idempotent."

    def handle(self, *args, **options):
        seed_all(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"demo ready: admin / finance / bj.manager / bj.staff / bj.s1 … (password {DEMO_PASSWORD})"
        ))
