"""The hall app's models, one module per concept. This module re-exports them all, so that Django finds them
and `from hall.models import X` works everywhere; import models from here, not from the modules below.

- hall.halls: the hall, its windows (counters) and their absences
- hall.guides: services with their guides and materials, and notices
- hall.hours: weekly sessions, closures, extra sessions, the national holiday schedule
- hall.staffing: staff of a hall and the audit log
- hall.tokens: API tokens (scope, expiry) and the hall's paired screens
"""

from hall.enrolment import EnrolmentCode
from hall.guides import Material, Notice, NoticeQuerySet, Service, ServiceQuerySet
from hall.halls import (
    SEAT_RE,
    Counter,
    CounterAbsence,
    CounterAbsenceQuerySet,
    CounterKind,
    CounterQuerySet,
    Hall,
    validate_seat_list,
    validate_timezone,
)
from hall.hours import Closure, ExtraSession, HolidaySchedule, SessionKind, TimeRange, Weekday, WeeklySession
from hall.staffing import AuditAction, AuditEntry, Staff, StaffRole
from hall.tokens import (
    ApiToken,
    ApiTokenQuerySet,
    Device,
    DeviceKind,
    DeviceQuerySet,
    PairingRequest,
    PrinterTrouble,
    TokenScope,
    default_scope,
)

__all__ = [
    "SEAT_RE",
    "ApiToken",
    "ApiTokenQuerySet",
    "AuditAction",
    "AuditEntry",
    "Closure",
    "Counter",
    "CounterAbsence",
    "CounterAbsenceQuerySet",
    "CounterKind",
    "CounterQuerySet",
    "Device",
    "DeviceKind",
    "DeviceQuerySet",
    "EnrolmentCode",
    "ExtraSession",
    "Hall",
    "HolidaySchedule",
    "Material",
    "Notice",
    "NoticeQuerySet",
    "PairingRequest",
    "PrinterTrouble",
    "Service",
    "ServiceQuerySet",
    "SessionKind",
    "Staff",
    "StaffRole",
    "TimeRange",
    "TokenScope",
    "Weekday",
    "WeeklySession",
    "default_scope",
    "validate_seat_list",
    "validate_timezone",
]
