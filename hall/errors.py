"""The one base of the apps' refusals: BookingError, QueueError, PostalError, VisitError, ConsultationError,
RatingError and DeviceError all subclass DomainError and add only what differs (the JSON API's status of a
code, QueueError's existing ticket). The JSON API answers every one of them in one handler
(hall/api_v1.py); a form shows one with `add_to(form)`."""

from typing import ClassVar


class DomainError(Exception):
    """A refusal a person can act on: `code` is the API's stable word for it, `message` a sentence in the
    user's language, `field` the input it is about (None: the request as a whole)."""

    # The JSON API's HTTP status of a code; any code not listed is 409 Conflict.
    api_status: ClassVar[dict[str, int]] = {}

    def __init__(self, code: str, message, field: str | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.field = field

    @property
    def status(self) -> int:
        return self.api_status.get(self.code, 409)

    @property
    def fields(self) -> dict[str, str]:
        """The message by input, as the JSON API's `fields`."""
        return {self.field: self.message} if self.field else {}

    def add_to(self, form) -> None:
        """Show the refusal on a form: at its field when the form has that field, else above the form."""
        form.add_error(self.field if self.field in form.fields else None, self.message)
