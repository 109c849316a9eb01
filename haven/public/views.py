"""Public pages: no login, no participant data, no tracking, no third-party scripts."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from haven.resources import search
from haven.resources.forms import SearchForm

PUBLIC_RESULTS = 25


@require_GET
@cache_control(private=True, max_age=60)
def resource_finder(request):
    """Find a service: need, open now, near me (browser location or a ZIP/city)."""
    form = SearchForm(request.GET or None)
    results, origin_label = None, ""
    if request.GET and form.is_valid():
        origin = form.cleaned_data["origin"]
        origin_label = form.cleaned_data["origin_label"]
        query = form.query(origin, public_only=True)
        query.limit = PUBLIC_RESULTS
        try:
            results = search.search(query)
        except ValueError as error:
            form.add_error("needs", str(error))
    return render(
        request,
        "public/finder.html",
        {
            "form": form,
            "results": results,
            "origin_label": origin_label,
            "hotline_name": settings.HAVEN_HOTLINE_NAME,
            "hotline_number": settings.HAVEN_HOTLINE_NUMBER,
        },
        status=400 if form.errors else 200,
    )
