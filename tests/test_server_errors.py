"""With DEBUG off (the default) a crash shows nobody a traceback, settings or paths."""
import pytest
from django.urls import path

import playground.urls

pytestmark = pytest.mark.django_db


def crash(request):
    raise RuntimeError("secret internals at /work/somewhere")


urlpatterns = [path("api/crash", crash), path("crash", crash), *playground.urls.urlpatterns]
handler500 = playground.urls.handler500


@pytest.mark.urls("tests.test_server_errors")
def test_a_crash_answers_without_the_technical_page(client, bob):
    client.raise_request_exception = False
    client.force_login(bob)
    api = client.get("/api/crash")
    assert api.status_code == 500 and api.json() == {"error": "The server failed on this request; the failure is logged."}
    page = client.get("/crash")
    assert page.status_code == 500
    for leak in (b"Traceback", b"secret internals", b"/work/", b"SECRET_KEY", b"settings"):
        assert leak not in page.content and leak not in api.content
