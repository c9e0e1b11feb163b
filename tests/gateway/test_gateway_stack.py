"""/v1/ is served by its own handler (chat/gateway/asgi.py): no cookies or session work, the security headers kept;
the site's pages keep their whole middleware stack."""
import httpx


def test_v1_answers_without_cookies_and_with_the_security_headers(bob, provider, personal_token, gateway_url):
    answer = httpx.get(f"{gateway_url}/v1/models", headers={"Authorization": f"Bearer {personal_token(bob)}"})
    assert answer.status_code == 200
    assert any(m["id"].startswith(f"{provider.slug}/") for m in answer.json()["data"])
    assert "set-cookie" not in answer.headers
    assert "cookie" not in answer.headers.get("vary", "").lower()
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in answer.headers and "content-security-policy" not in answer.headers  # page-only
    refused = httpx.post(f"{gateway_url}/v1/chat/completions", json={"model": "x/y", "messages": []},
                         headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_the_sign_in_page_keeps_the_sites_middleware(gateway_url):
    page = httpx.get(f"{gateway_url}/accounts/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.headers.get("set-cookie", "")
    assert "content-security-policy" in page.headers
    assert page.headers["x-frame-options"] == "DENY"
