"""Who books (`Citizen`, with the ID number's keyed hash and masked form) and who changes a booking, from
where (`Actor`, for the audit trail)."""

import datetime as dt
from dataclasses import dataclass

from hall.privacy import hash_id_number, mask_id_number, validate_id_number


@dataclass(frozen=True)
class Citizen:
    """Who books. The API, staff and the waiting-list offer give the ID number in full; the web booking's
    draft keeps no clear number between its steps and gives the number's hash and masked form instead
    (`Citizen.hashed`), computed from a number checked at the details step."""

    name: str
    phone: object  # phonenumbers.PhoneNumber
    id_number: str = ""
    language: str = "zh-hans"
    id_hash: str = ""
    id_masked: str = ""

    @classmethod
    def hashed(cls, *, name: str, phone, id_hash: str, id_masked: str, language: str = "zh-hans"):
        if not (len(id_hash) == 64 and len(id_masked) == 18 and id_masked[3:14] == "*" * 11):
            raise ValueError("a hashed identity needs an ID number's HMAC and its masked form")
        return cls(name, phone, language=language, id_hash=id_hash, id_masked=id_masked)

    def identity(self, today: dt.date) -> tuple[str, str]:
        """(HMAC, masked form) of the ID number; a number in full is checked (GB 11643) first and raises
        ValidationError when wrong."""
        if self.id_number or not self.id_hash:
            number = validate_id_number(self.id_number, today=today)
            return hash_id_number(number), mask_id_number(number)
        return self.id_hash, self.id_masked


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from where (for the audit trail)."""

    source: str  # web, api, staff, system
    user: object = None
    ip: str | None = None


SYSTEM = Actor("system")
