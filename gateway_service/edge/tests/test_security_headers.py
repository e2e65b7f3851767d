"""The gateway's own answers: Django's hardening headers, and HSTS only over a connection known to be
HTTPS (a client's own X-Forwarded-Proto proves nothing at the edge)."""


def test_the_gateways_own_answers_are_hardened(client):
    response = client.get("/healthz")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_hsts_only_over_https_and_a_clients_forwarded_proto_is_not_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = None  # the edge, no ingress in front

    spoofed = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    secure = client.get("/healthz", secure=True)

    assert "Strict-Transport-Security" not in spoofed
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_trusted_ingress_its_forwarded_proto_counts(client, settings):
    settings.SECURE_HSTS_SECONDS = 60
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")["Strict-Transport-Security"] == "max-age=60"
