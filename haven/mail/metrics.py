"""Figures of mail distribution, each with its one definition (for haven/reports/standard.py).

They are program-wide: mail requests belong to no outreach site, staff
member or contact type, so a report broken down by those shows the same
mail figures for every member.
"""

from django.db.models import Count, F, Sum

from haven.supplies.models import Item

from .models import MailRequest, MailRequestLine, MailReversal


def requests_by_status(scope):
    """{status: requests received in the period (created then) that now have that status}."""
    start, end = scope.bounds
    counts = dict(
        MailRequest.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in MailRequest.Status.values}


def naloxone_mailed(scope):
    """Naloxone kits (units) and doses in requests packed in the period.

    Packing draws the kits from the mail stock location through the ledger,
    so these are also counted in the naloxone distribution figures, as
    hand-outs to anonymous mail contacts.
    """
    start, end = scope.bounds
    figures = MailRequestLine.objects.filter(
        request__packed_at__gte=start,
        request__packed_at__lt=end,
        item__category=Item.Category.NALOXONE,
    ).aggregate(kits=Sum("quantity"), doses=Sum(F("quantity") * F("item__doses_per_unit")))
    return {"kits": figures["kits"] or 0, "doses": figures["doses"] or 0}


def reversals_by_mail(scope):
    """Overdose reports filed through the public reversal form, by when the overdose happened."""
    start, end = scope.bounds
    return MailReversal.objects.filter(
        report__occurred_at__gte=start, report__occurred_at__lt=end
    ).count()
