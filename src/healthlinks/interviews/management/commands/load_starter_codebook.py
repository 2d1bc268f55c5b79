"""Load the shipped starter codebook (benefits for each side, challenges); safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from healthlinks.interviews.services import codebook_load_starter


class Command(BaseCommand):
    help = "Load the starter interview codebook (idempotent: existing codes and their edits are kept)"

    def handle(self, *args: Any, **options: Any) -> None:
        counts = codebook_load_starter()
        self.stdout.write(f"starter codebook: {counts['created']} codes created, {counts['kept']} already there")
