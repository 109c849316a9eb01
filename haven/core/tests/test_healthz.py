import json

from django.conf import settings


def test_health_reports_status_database_and_version(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "database": "reachable",
        "version": settings.VERSION,
    }


def test_health_reports_an_unreachable_database(client, db, monkeypatch):
    class DownDatabase:
        def cursor(self):
            raise RuntimeError("database is down")

    monkeypatch.setattr("haven.core.views.connection", DownDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "unreachable"
