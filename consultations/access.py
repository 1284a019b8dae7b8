"""Who may see which call-back: staff see only their own hall (another hall's are a 404, not even confirmed
to exist, and audited as hall.access does); window staff see their own call-backs, a supervisor all of the
hall's. The hall's pages themselves use hall.access (staff_in_hall, supervisor_in_hall)."""

from consultations.models import CallBack, Escalation
from hall import access
from hall.models import Staff


def access_call_back(user, slug: str, call_back_id: int) -> tuple[Staff, CallBack]:
    staff = access.staff_in_hall(user, slug)
    call_backs = CallBack.objects.select_related("hall", "owner", "consultation__service")
    if not staff.is_supervisor:
        call_backs = call_backs.filter(owner_id=staff.user_id)
    return staff, access.in_hall(call_backs, staff.hall_id, user, pk=call_back_id)


def access_escalation(user, slug: str, escalation_id: int) -> tuple[Staff, Escalation]:
    """Any staff member of the hall may open an escalation (whoever receives the level's answer records
    it); passing the answer on is the first taker's or a supervisor's (consultations.escalation)."""
    staff = access.staff_in_hall(user, slug)
    escalations = Escalation.objects.select_related("hall", "level", "first_taker", "consultation__service")
    return staff, access.in_hall(escalations, staff.hall_id, user, pk=escalation_id)
