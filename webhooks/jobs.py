"""RQ entry point: takes an id, re-fetches and claims the row; idempotent (webhooks/delivery.py)."""

from django.db import close_old_connections

from webhooks import delivery


def deliver(delivery_id: int) -> str | None:
    close_old_connections()
    try:
        return delivery.deliver(delivery_id)
    finally:
        close_old_connections()
