"""The least state the hot paths need: places in an arrival window, a booking, a ticket."""
# ruff: noqa: DJ008 - rows of a benchmark, never shown

from django.db import models


class Slot(models.Model):
    capacity = models.IntegerField()
    taken = models.IntegerField(default=0)


class Booking(models.Model):
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20)
    created = models.DateTimeField(auto_now_add=True)


class Ticket(models.Model):
    state = models.CharField(max_length=10, default="waiting", db_index=True)
    counter = models.IntegerField(null=True)
    called_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
