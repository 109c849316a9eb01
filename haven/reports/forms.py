import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.accounts.models import Site, User
from haven.outreach.models import Encounter

from .metrics import Scope
from .standard import slice_of

DATE = forms.DateInput(attrs={"type": "date"})


def last_full_quarter(today):
    quarter = (today.month - 1) // 3  # the current quarter, 0-based
    year = today.year if quarter else today.year - 1
    return year, quarter or 4


def period_bounds(kind, year, number):
    if kind == "year":
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if kind == "quarter":
        start = datetime.date(year, 3 * (number - 1) + 1, 1)
        months = 3
    else:
        start = datetime.date(year, number, 1)
        months = 1
    following = datetime.date(
        start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1
    )
    return start, following - datetime.timedelta(days=1)


class ReportForm(forms.Form):
    """What a report covers. Read from the query string: it names no person."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            ("month", gettext_lazy("Month")),
            ("quarter", gettext_lazy("Quarter")),
            ("year", gettext_lazy("Year")),
            ("custom", gettext_lazy("Custom dates")),
        ],
        initial="quarter",
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"), min_value=2000, max_value=2100, required=False
    )
    number = forms.IntegerField(
        label=gettext_lazy("Month (1–12) or quarter (1–4)"),
        min_value=1,
        max_value=12,
        required=False,
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(),
        required=False,
        label=gettext_lazy("Site"),
        empty_label=gettext_lazy("All my sites"),
    )
    staff = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=gettext_lazy("Staff member"),
        empty_label=gettext_lazy("Everyone"),
    )
    contact_type = forms.ChoiceField(
        label=gettext_lazy("Contact type"),
        choices=[("", gettext_lazy("All types")), *Encounter.ContactType.choices],
        required=False,
    )
    suppress = forms.BooleanField(
        label=gettext_lazy("Hide small counts (for sharing outside the program)"), required=False
    )
    # Analysts see only figures fit to leave the program: the choice is not theirs.
    ALWAYS_SUPPRESSED = ("analyst",)

    def __init__(self, data, *, user, **kwargs):
        self.user = user
        year, quarter = last_full_quarter(timezone.localdate())
        initial = {"period": "quarter", "year": year, "number": quarter}
        if user.role in self.ALWAYS_SUPPRESSED and settings.SUPPRESSED_PERIOD != "quarter":
            initial = self.last_full_period(settings.SUPPRESSED_PERIOD)
        if not data or "period" not in data:
            data = {**initial, **(data.dict() if hasattr(data, "dict") else data or {})}
        super().__init__(data, **kwargs)
        self.suppressed_period = settings.SUPPRESSED_PERIOD
        period = self.fields["period"]
        self.suppressed_period_name = str(dict(period.choices)[self.suppressed_period]).lower()
        self.offers_custom_dates = self.offers_number = True
        if user.role in self.ALWAYS_SUPPRESSED:
            # Not offered, and whatever the request says is not read.
            del self.fields["suppress"]
            self.offer_only_the_suppressed_period()
        self.fields["site"].queryset = self.allowed_sites()
        self.fields["staff"].queryset = (
            User.objects.filter(
                role__in=["specialist", "supervisor", "manager"], sites__in=self.allowed_sites()
            )
            .distinct()
            .order_by("username")
        )

    def offer_only_the_suppressed_period(self):
        """Show only the kind of period suppressed figures come for.

        Only the widget's choices shrink: the field still reads any kind, so that a
        crafted request for another gets the refusal that says why (see clean).
        """
        period = self.fields["period"]
        period.widget.choices = [
            (kind, name) for kind, name in period.choices if kind == self.suppressed_period
        ]
        self.offers_custom_dates = False
        self.offers_number = self.suppressed_period != "year"
        if self.offers_number:
            self.fields["number"].label = {
                "month": gettext_lazy("Month (1–12)"),
                "quarter": gettext_lazy("Quarter (1–4)"),
            }[self.suppressed_period]

    @staticmethod
    def last_full_period(kind):
        today = timezone.localdate()
        if kind == "year":
            return {"period": "year", "year": today.year - 1}
        last_month = today.replace(day=1) - datetime.timedelta(days=1)
        return {"period": "month", "year": last_month.year, "number": last_month.month}

    def allowed_sites(self):
        """Supervisors report on their own sites; managers and analysts on all."""
        if self.user.role == "supervisor":
            return Site.objects.filter(staff=self.user)
        return Site.objects.all()

    def one_kind_of_period_message(self):
        # Overlapping periods (a year and its quarters, custom dates a day
        # apart) could be subtracted from each other to work out a hidden
        # count, so suppressed figures come for one kind of period only.
        message = _(
            "With small counts hidden, reports cover one calendar period of one kind "
            "(here: %(kind)s), so that no two overlap and one cannot be subtracted "
            "from another to work out a hidden count. Choose a %(kind)s."
        ) % {"kind": self.suppressed_period_name}
        if self.user.role not in self.ALWAYS_SUPPRESSED:
            message += " " + _("For use inside the program, turn off hiding small counts.")
        return message

    def period_not_over_message(self):
        # A period still running gains contacts every day: its figures downloaded on
        # two days differ by that day's counts, however small.
        message = _(
            "With small counts hidden, a report covers a period that is over: the "
            "figures of one still running change day by day, and two downloads a day "
            "apart would give that day's counts. Choose a %(kind)s that has ended."
        ) % {"kind": self.suppressed_period_name}
        if self.user.role not in self.ALWAYS_SUPPRESSED:
            message += " " + _("For use inside the program, turn off hiding small counts.")
        return message

    def clean(self):
        cleaned = super().clean()
        if self.user.role in self.ALWAYS_SUPPRESSED:
            cleaned["suppress"] = True
        kind = cleaned.get("period")
        if cleaned.get("suppress") and kind and kind != settings.SUPPRESSED_PERIOD:
            raise ValidationError(self.one_kind_of_period_message())
        if kind == "custom":
            if not cleaned.get("start") or not cleaned.get("end"):
                raise ValidationError(_("Enter both dates of a custom period."))
            start, end = cleaned["start"], cleaned["end"]
        elif kind:
            year, number = cleaned.get("year"), cleaned.get("number")
            if not year:
                raise ValidationError({"year": _("Enter a year.")})
            if kind == "quarter" and (number or 0) > 4:
                raise ValidationError({"number": _("A quarter is 1 to 4.")})
            if kind in ("month", "quarter") and not number:
                raise ValidationError({"number": _("Enter which month or quarter.")})
            start, end = period_bounds(kind, year, number)
        else:
            return cleaned
        if cleaned.get("suppress") and end >= timezone.localdate():
            raise ValidationError(self.period_not_over_message())
        site_ids = (
            (cleaned["site"].pk,)
            if cleaned.get("site")
            else tuple(self.allowed_sites().values_list("pk", flat=True))
            if self.user.role == "supervisor"
            else ()
        )
        label = []
        if cleaned.get("site"):
            label.append(str(cleaned["site"]))
        if cleaned.get("staff"):
            label.append(cleaned["staff"].username)
        if cleaned.get("contact_type"):
            label.append(str(dict(Encounter.ContactType.choices)[cleaned["contact_type"]]))
        cleaned["scope"] = Scope(
            start,
            end,
            site_ids=site_ids,
            staff_ids=(cleaned["staff"].pk,) if cleaned.get("staff") else (),
            contact_types=(cleaned["contact_type"],) if cleaned.get("contact_type") else (),
            label=" · ".join(label),
        )
        if cleaned.get("suppress") and slice_of(cleaned["scope"]) is None:
            # Only the whole program and single breakdowns are audited together;
            # anything else could be differenced against them.
            raise ValidationError(
                _(
                    "With small counts hidden, a report covers everyone or one site, "
                    "one staff member or one contact type: choose only one of them."
                )
            )
        return cleaned
