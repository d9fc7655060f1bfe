"""HQ's URLs plus `/bench/trivial/`: the baseline of bench/load.py, served through the same
middleware stack by the same gunicorn (no database query, no template)."""
from django.http import HttpResponse
from django.urls import path

from branches.pages import PUBLIC, page_roles
from hrsaas.urls_hq import handler404, handler500, urlpatterns as hq_urlpatterns  # noqa: F401


@page_roles(PUBLIC)
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *hq_urlpatterns]
