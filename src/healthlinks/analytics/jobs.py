"""Background work of the analytics, on the django-tasks queue that every task worker reads."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh(queued: str) -> None:
    """Compute a result a web worker found stale (analytics.store)."""
    from healthlinks.analytics.store import refresh_queued

    refresh_queued(queued)
