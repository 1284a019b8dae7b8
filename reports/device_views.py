"""The supervisor's screens page: the hall's kiosks, boards and window displays; add one, pair a screen by
the code it shows (typed, or from its QR code: ?code=...), unpair one, mark a kiosk's printer fixed.
The work is done by hall.devices, which audits it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hall import access, audit, devices
from hall.devices import DeviceError
from hall.models import Device, DeviceKind, Hall
from reports.access import access_device

NAME_TAKEN = _("This hall already has a %(kind)s with this name.")
CODE_REQUIRED = _("Enter the code shown on the screen.")
DEVICE_REQUIRED = _("Choose which screen this is.")


class AddDeviceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DeviceKind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example: Kiosk 1."))
    place = forms.CharField(
        label=_("Place"), max_length=100, required=False, help_text=_("For example: at the main door.")
    )

    def __init__(self, *args, hall: Hall, **kwargs):
        super().__init__(*args, **kwargs)
        self.hall = hall

    def clean(self):
        data = super().clean()
        kind, name = data.get("kind"), data.get("name")
        if kind and name and Device.objects.filter(hall=self.hall, kind=kind, name=name).exists():
            self.add_error("name", NAME_TAKEN % {"kind": DeviceKind(kind).label})
        return data


class DeviceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_kind_display()}: {obj.name}" + (f" ({obj.place})" if obj.place else "")


class PairForm(forms.Form):
    code = forms.CharField(
        label=_("Code shown on the screen"),
        max_length=12,
        error_messages={"required": CODE_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    device = DeviceChoiceField(
        label=_("This screen is"),
        queryset=Device.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": DEVICE_REQUIRED, "invalid_choice": DEVICE_REQUIRED},
    )

    def __init__(self, *args, hall: Hall, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = Device.objects.filter(hall=hall)
        self.fields["device"].queryset = choices.filter(kind=kind) if kind else choices


def _page(request, hall: Hall, *, add_form=None, pair_form=None, status=200):
    code = request.GET.get("code", "")[:12]
    asking = devices.find_request(hall=hall, code=code, now=timezone.now()) if code else None
    kind = asking.kind if asking and not asking.device_id else None
    context = {
        "hall": hall,
        "nav": "devices",
        "devices": hall.devices.all(),
        "add_form": add_form or AddDeviceForm(hall=hall),
        "pair_form": pair_form or PairForm(initial={"code": code}, hall=hall, kind=kind),
        "asking": DeviceKind(kind).label if kind else None,
    }
    return render(request, "reports/devices.html", context, status=status)


@login_required
def device_list(request, slug):
    return _page(request, access.supervisor_in_hall(request.user, slug).hall)


@login_required
@require_POST
def add_device(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    form = AddDeviceForm(request.POST, hall=hall)
    if not form.is_valid():
        return _page(request, hall, add_form=form, status=400)
    data = form.cleaned_data
    device = devices.add_device(
        hall=hall,
        kind=data["kind"],
        name=data["name"],
        place=data["place"],
        user=request.user,
        ip=audit.client_ip(request),
    )
    messages.success(
        request, _("Added %(device)s. Pair it with the code its screen shows.") % {"device": device}
    )
    return redirect("reports:devices", hall.slug)


@login_required
@require_POST
def pair_device(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    form = PairForm(request.POST, hall=hall)
    if form.is_valid():
        try:
            devices.pair(
                hall=hall,
                code=form.cleaned_data["code"],
                device=form.cleaned_data["device"],
                user=request.user,
                ip=audit.client_ip(request),
                now=timezone.now(),
            )
        except DeviceError as refusal:
            form.add_error("device" if refusal.code == "wrong_kind" else "code", refusal.message)
        else:
            device = form.cleaned_data["device"]
            messages.success(
                request, _("%(device)s is paired: its screen changes in a few seconds.") % {"device": device}
            )
            return redirect("reports:devices", hall.slug)
    return _page(request, hall, pair_form=form, status=400)


@login_required
@require_POST
def revoke_device(request, slug, device_id):
    device = access_device(request.user, slug, device_id)
    devices.revoke(device=device, user=request.user, ip=audit.client_ip(request), now=timezone.now())
    messages.success(
        request, _("%(device)s is unpaired: its screen shows “not set up”.") % {"device": device}
    )
    return redirect("reports:devices", slug)


@login_required
@require_POST
def printer_fixed(request, slug, device_id):
    device = access_device(request.user, slug, device_id)
    devices.clear_printer(device=device, user=request.user, ip=audit.client_ip(request), now=timezone.now())
    messages.success(request, _("%(device)s gives out tickets again.") % {"device": device})
    return redirect("reports:devices", slug)
