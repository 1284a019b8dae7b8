"""The text messages of an escalation, in the citizen's language: where the question went and by when to
expect the answer, then the answer itself. No mobile number or name in the text; the reference is the
call-back's number, as in the confirmation of an online question."""

from django.utils.translation import gettext_lazy

from consultations.messages import call_time

ESCALATED = gettext_lazy(
    "[%(hall)s] Your question (ref. %(ref)s) is now with: %(level)s. We will tell you the answer %(when)s."
)
ANSWER = gettext_lazy("[%(hall)s] The answer to your question (ref. %(ref)s): %(answer)s")


def escalated_text(call_back, level) -> str:
    return ESCALATED % {
        "hall": call_back.hall.name,
        "ref": call_back.pk,
        "level": level.name,
        "when": call_time(call_back),
    }


def answer_text(escalation, call_back) -> str:
    return ANSWER % {"hall": escalation.hall.name, "ref": call_back.pk, "answer": escalation.answer}
