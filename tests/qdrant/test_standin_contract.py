"""The stand-in must not drift from real Qdrant: every kind of answer it sends is parsed with
qdrant-client's generated models *and* validated against the official openapi.json."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel
from qdrant_client.http import models

from persistence.qdrant import models as ours
from tests.qdrant import openapi
from tests.qdrant.openapi import validate_response
from tests.qdrant_standin.server import QdrantStandin

C = "/collections/{collection_name}"
S = C + "/snapshots"


# What persistence.qdrant parses each answer with (its own small models, see models.py).
OURS: dict[type[BaseModel], type[BaseModel]] = {
    models.VersionInfo: ours.VersionInfo,
    models.InlineResponse2006: ours.Envelope[ours.CollectionsResponse],
    models.InlineResponse2007: ours.Envelope[ours.CollectionInfo],
    models.InlineResponse2003: ours.Envelope[ours.ClusterStatus],
    models.InlineResponse2001: ours.Envelope[bool],
    models.InlineResponse20015: ours.Envelope[ours.SnapshotDescription],
    models.InlineResponse20014: ours.Envelope[list[ours.SnapshotDescription]],
    models.InlineResponse202: ours.Envelope[bool],
    models.ErrorResponse: ours.ErrorResponse,
}


def _check(
    response: httpx.Response, spec_path: str, method: str, status: int, model: type[BaseModel]
) -> BaseModel:
    assert response.status_code == status, response.text
    body = response.json()
    parsed = model.model_validate(body)
    OURS[model].model_validate(body)
    key = str(status) if status < 400 else "4XX"
    validate_response(spec_path, method, key, body)
    return parsed


@pytest.fixture
def client(qdrant_standin: QdrantStandin) -> httpx.Client:
    qdrant_standin.add_collection("docs", points=20)
    return httpx.Client(base_url=qdrant_standin.url, timeout=10)


def test_server_and_collections(qdrant_standin: QdrantStandin, client: httpx.Client) -> None:
    version = _check(client.get("/"), "/", "GET", 200, models.VersionInfo)
    assert isinstance(version, models.VersionInfo) and version.version == "1.19.0"
    listed = _check(
        client.get("/collections"), "/collections", "GET", 200, models.InlineResponse2006
    )
    assert isinstance(listed, models.InlineResponse2006) and listed.result is not None
    assert [c.name for c in listed.result.collections] == ["docs"]
    info = _check(client.get("/collections/docs"), C, "GET", 200, models.InlineResponse2007)
    assert isinstance(info, models.InlineResponse2007) and info.result is not None
    assert info.result.points_count == 20
    cluster = _check(client.get("/cluster"), "/cluster", "GET", 200, models.InlineResponse2003)
    assert isinstance(cluster, models.InlineResponse2003)
    assert isinstance(cluster.result, models.ClusterStatusOneOf)
    qdrant_standin.state.peer_count = 3
    cluster = _check(client.get("/cluster"), "/cluster", "GET", 200, models.InlineResponse2003)
    assert isinstance(cluster, models.InlineResponse2003)
    assert isinstance(cluster.result, models.ClusterStatusOneOf1)
    assert len(cluster.result.peers) == 3
    created = client.put("/collections/new", json={"vectors": {"size": 4, "distance": "Cosine"}})
    _check(created, C, "PUT", 200, models.InlineResponse2001)
    again = client.put("/collections/new", json={"vectors": {"size": 4, "distance": "Cosine"}})
    _check(again, C, "PUT", 400, models.ErrorResponse)
    _check(client.delete("/collections/new"), C, "DELETE", 200, models.InlineResponse2001)
    missing = _check(client.get("/collections/nope"), C, "GET", 404, models.ErrorResponse)
    assert isinstance(missing, models.ErrorResponse) and missing.status is not None
    assert missing.status.error == "Not found: Collection `nope` doesn't exist!"


def test_snapshot_endpoints(client: httpx.Client, qdrant_standin: QdrantStandin) -> None:
    made = _check(
        client.post("/collections/docs/snapshots", params={"wait": "true"}),
        S,
        "POST",
        200,
        models.InlineResponse20015,
    )
    assert isinstance(made, models.InlineResponse20015) and made.result is not None
    name = made.result.name
    assert name.startswith("docs-") and name.endswith(".snapshot")
    assert made.result.size == len(qdrant_standin.archive_bytes("docs"))
    # A create in the same second would get the same name and replace the first
    # (`snapshots_manager.rs`); a wait=false create finishes in the background.
    time.sleep(1.05)
    accepted = client.post("/collections/docs/snapshots", params={"wait": "false"})
    _check(accepted, S, "POST", 202, models.InlineResponse202)
    for _ in range(40):
        if len(qdrant_standin.snapshot_names("docs")) == 2:
            break
        time.sleep(0.05)
    listed = _check(
        client.get("/collections/docs/snapshots"), S, "GET", 200, models.InlineResponse20014
    )
    assert isinstance(listed, models.InlineResponse20014) and listed.result is not None
    assert len(listed.result) == 2
    body = client.get(
        f"/collections/docs/snapshots/{name}", headers={"Accept-Encoding": "identity"}
    )
    assert body.headers["content-type"] == "application/octet-stream"
    assert body.content == qdrant_standin.archive_bytes("docs")
    part = client.get(f"/collections/docs/snapshots/{name}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == body.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(body.content)}"
    deleted = client.delete(f"/collections/docs/snapshots/{name}", params={"wait": "true"})
    _check(deleted, S + "/{snapshot_name}", "DELETE", 200, models.InlineResponse2001)
    gone = client.get(f"/collections/docs/snapshots/{name}")
    _check(gone, S + "/{snapshot_name}", "GET", 404, models.ErrorResponse)


def test_upload_recover_and_errors(
    client: httpx.Client, qdrant_standin: QdrantStandin, tmp_path: Path
) -> None:
    archive = tmp_path / "docs.snapshot"
    archive.write_bytes(qdrant_standin.archive_bytes("docs"))
    import hashlib

    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    with archive.open("rb") as handle:
        ok = client.post(
            "/collections/copy/snapshots/upload",
            params={"wait": "true", "priority": "snapshot", "checksum": digest},
            files={"snapshot": ("docs.snapshot", handle)},
        )
    _check(ok, S + "/upload", "POST", 200, models.InlineResponse2001)
    assert qdrant_standin.state.collections["copy"].points_count == 20
    with archive.open("rb") as handle:
        bad = client.post(
            "/collections/copy/snapshots/upload",
            params={"checksum": "0" * 64},
            files={"snapshot": ("docs.snapshot", handle)},
        )
    err = _check(bad, S + "/upload", "POST", 400, models.ErrorResponse)
    assert isinstance(err, models.ErrorResponse) and err.status is not None
    assert "checksum mismatch" in (err.status.error or "")
    outside = client.put(
        "/collections/copy/snapshots/recover", json={"location": f"file://{archive}"}
    )
    _check(outside, S + "/recover", "PUT", 403, models.ErrorResponse)
    inside_name = qdrant_standin.snapshot_names("copy")[0]
    stored = qdrant_standin.state.collections["copy"].snapshots[inside_name].path
    inside = client.put(
        "/collections/copy/snapshots/recover",
        json={"location": f"file://{stored}", "priority": "snapshot"},
    )
    _check(inside, S + "/recover", "PUT", 200, models.InlineResponse2001)
    qdrant_standin.fail("POST", r"/collections/docs/snapshots", 507, "No space left on device")
    full = client.post("/collections/docs/snapshots")
    _check(full, S, "POST", 507, models.ErrorResponse)


def test_auth_answers(client: httpx.Client, qdrant_standin: QdrantStandin) -> None:
    qdrant_standin.set_keys(write="w-key", read="r-key")
    # Qdrant's auth layer answers 401 in plain text, not in the JSON envelope.
    missing = client.get("/collections")
    assert missing.status_code == 401
    assert missing.text == "Must provide an API key or an Authorization bearer token"
    wrong = client.get("/collections", headers={"api-key": "nope"})
    assert wrong.status_code == 401 and wrong.text == "Invalid API key or JWT"
    read = client.get("/collections", headers={"api-key": "r-key"})
    _check(read, "/collections", "GET", 200, models.InlineResponse2006)
    bearer = client.get("/collections", headers={"Authorization": "Bearer r-key"})
    assert bearer.status_code == 200
    denied = client.post("/collections/docs/snapshots", headers={"api-key": "r-key"})
    _check(denied, S, "POST", 403, models.ErrorResponse)
    allowed = client.post("/collections/docs/snapshots", headers={"api-key": "w-key"})
    _check(allowed, S, "POST", 200, models.InlineResponse20015)


def test_spec_validation_is_not_vacuous() -> None:
    import jsonschema

    validate_response("/collections", "GET", "200", {"result": {"collections": []}, "time": 0.1})
    with pytest.raises(jsonschema.ValidationError):
        validate_response("/collections", "GET", "200", {"result": {"collections": "x"}})
    with pytest.raises(jsonschema.ValidationError):
        validate_response(S, "POST", "200", {"result": {"name": "x.snapshot"}, "status": "ok"})


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_missing_spec_fails_in_ci(ci: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openapi, "SPEC_PATH", tmp_path / "missing" / "openapi.json")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        validate_response("/collections", "GET", "200", {"result": {"collections": []}})


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_missing_spec_skips_outside_ci(
    ci: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openapi, "SPEC_PATH", tmp_path / "missing" / "openapi.json")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match=r"openapi\.json is missing"):
        validate_response("/collections", "GET", "200", {"result": {"collections": []}})
