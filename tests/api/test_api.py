import pytest

pytestmark = pytest.mark.django_db


def test_countries_filter_by_ssl_income_and_region(client):
    assert client.get("/api/v1/countries/?ssl2023=true").json()["count"] == 55
    lic = client.get("/api/v1/countries/?income_group=LIC&page_size=100").json()
    assert lic["count"] > 20 and all(c["income_group"] == "LIC" for c in lic["results"])
    afr_ssl = client.get("/api/v1/countries/?ssl2023=true&who_region=AFR").json()
    assert afr_ssl["count"] == 37
    assert client.get("/api/v1/countries/UGA/").json()["uk_code_status"] == "red"


def test_partnership_list_uses_drf_page_format_and_filters(client, make_partnership):
    make_partnership(name="Uganda surgery", countries=("GBR", "UGA"))
    make_partnership(name="Kenya nursing", countries=("GBR", "KEN"))
    make_partnership(name="South-South", countries=("UGA", "KEN"))
    data = client.get("/api/v1/partnerships/?page_size=2").json()
    assert set(data) >= {"count", "next", "results"} and data["count"] == 3 and data["next"]
    names = lambda q: sorted(p["name"] for p in client.get(f"/api/v1/partnerships/?{q}").json()["results"])  # noqa: E731
    assert names("country=UGA") == ["South-South", "Uganda surgery"]
    assert names("geography=south_south") == ["South-South"]
    assert names("q=nursing") == ["Kenya nursing"]
    detail = client.get("/api/v1/partnerships/uganda-surgery/").json()
    assert detail["countries"] == ["GBR", "UGA"] and detail["geography_class"] == "north_south"


def test_create_partnership_names_every_bad_field(client_for, admin_user, make_institution):
    client = client_for(admin_user)
    gbr = make_institution("GBR")
    body = {
        "name": "Bad",
        "start_date": "2024-01-01",
        "end_date": "2023-01-01",
        "members": [{"institution": gbr.pk}],
        "specialties": ["no-such-specialty"],
    }
    resp = client.post("/api/v1/partnerships/", body, content_type="application/json")
    assert resp.status_code == 400
    assert {"specialties", "members"} <= set(resp.json())  # one member: fewer than the schema's minItems
    body["specialties"] = ["surgery"]
    body["members"].append({"institution": make_institution("UGA").pk, "role": "partner"})
    resp = client.post("/api/v1/partnerships/", body, content_type="application/json")
    assert resp.status_code == 400 and "end_date" in resp.json()
    body["end_date"] = "2026-01-01"
    resp = client.post("/api/v1/partnerships/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["specialties"] == ["surgery"]


def test_institution_api_validates_country_and_identifiers(client_for, admin_user):
    client = client_for(admin_user)
    resp = client.post(
        "/api/v1/institutions/", {"name": "X", "country": "XXX", "kind": "hospital"}, content_type="application/json"
    )
    assert resp.status_code == 400 and "country" in resp.json()
    resp = client.post(
        "/api/v1/institutions/",
        {"name": "X", "country": "GBR", "kind": "hospital", "ror_id": "bad"},
        content_type="application/json",
    )
    assert resp.status_code == 400 and "ror_id" in resp.json()
    resp = client.post(
        "/api/v1/institutions/",
        {"name": "X", "country": "UGA", "kind": "hospital", "iati_org_id": "UG-NGO-1234"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["ssl2023"] is True


def test_token_authentication(client, admin_user):
    from healthlinks.accounts.services import user_token

    token = user_token(username=admin_user.username)
    resp = client.post(
        "/api/v1/institutions/",
        {"name": "Tok", "country": "GBR", "kind": "hospital"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert resp.status_code == 201


def test_openapi_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/partnerships/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs
