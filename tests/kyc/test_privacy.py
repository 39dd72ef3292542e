"""PII is masked in every response, absent from logs, and encrypted in the database and on disk."""

from __future__ import annotations

import io
import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI, UploadFile
from sqlalchemy import text

from liquibond.config import Settings
from liquibond.kyc.schemas import KycSubmission
from liquibond.platform.crypto import DecryptionError, FieldCipher
from tests.helpers import register_and_login
from tests.kyc.helpers import (
    PDF,
    REFERRED,
    a_pan,
    form,
    make_reviewers,
    queue_item,
    referred,
    submit,
)

DATE_OF_BIRTH = "1979-02-11"
ADDRESS = {
    "address_line": "221B Zephyrine Villa, Pali Hill Lane",
    "city": "Quilvandra",
    "state": "Goa",
    "pincode": "403521",
}


def _secrets(pan: str) -> list[str]:
    return [pan, pan.lower(), DATE_OF_BIRTH, ADDRESS["address_line"], ADDRESS["city"], "403521"]


async def test_pii_is_masked_in_responses_and_never_logged(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    root = logging.getLogger()
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(root.handlers[0].formatter)  # the app's JSON formatter
    root.addHandler(handler)
    pan = a_pan(REFERRED)
    fields = form(pan, date_of_birth=DATE_OF_BIRTH, **ADDRESS)
    try:
        (reviewer,) = await make_reviewers(app, client)
        investor = await register_and_login(client)
        responses = [await submit(client, investor, fields)]
        application_id = responses[0].json()["id"]
        responses += [
            await submit(client, investor, fields),  # refused: already pending
            await submit(client, await register_and_login(client), fields),  # PAN in use
            await submit(client, investor, {**fields, "pan": pan[:9]}),  # malformed
            await client.get("/api/v1/kyc", headers=investor.headers),
            await client.get(f"/api/v1/kyc/{application_id}", headers=investor.headers),
            await client.post(
                f"/api/v1/admin/kyc/{application_id}/assign", headers=reviewer.headers
            ),
            await client.get("/api/v1/admin/kyc", headers=reviewer.headers),
        ]
        await referred(client, reviewer, application_id)
        responses.append(
            await client.post(
                f"/api/v1/admin/kyc/{application_id}/approve",
                json={"tier": "basic", "reason": "Checked by hand."},
                headers=reviewer.headers,
            )
        )
    finally:
        root.removeHandler(handler)

    assert [r.status_code for r in responses] == [201, 409, 409, 422, 200, 200, 200, 200, 200]
    output = sink.getvalue()
    assert "kyc.sandbox.delivered" in output  # the background work was captured too
    for secret in _secrets(pan):
        assert secret not in output
        for response in responses:
            assert secret not in response.text, response.request.url
    item = await queue_item(client, reviewer, application_id)
    assert item is not None
    assert (item["pan_masked"], item["birth_year"], item["pincode_masked"]) == (
        f"XXXXX{REFERRED}X",
        1979,
        "403XXX",
    )


async def test_pii_and_documents_are_encrypted_at_rest(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    investor = await register_and_login(client)
    pan = a_pan(REFERRED)
    marker = f"SCAN-{uuid.uuid4().hex}".encode()
    document = PDF.replace(b"scanned PAN card", marker)
    response = await submit(
        client, investor, form(pan, date_of_birth=DATE_OF_BIRTH, **ADDRESS), document
    )
    assert response.status_code == 201, response.text
    application = response.json()

    stored = b""
    async with app.state.database.engine.connect() as connection:
        for table in ("kyc_applications", "kyc_documents", "kyc_consents"):
            for row in await connection.execute(text(f"SELECT * FROM {table}")):
                stored += b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
        pan_sealed = await connection.scalar(text("SELECT pan_ciphertext FROM kyc_applications"))
    assert b"pending" in stored and b"kyc.identity_verification" in stored  # rows were read
    for secret in [*_secrets(pan), marker.decode()]:
        assert secret.encode() not in stored

    document_id = application["documents"][0]["id"]
    path = settings.data_dir / "kyc" / "documents" / uuid.UUID(document_id).hex
    sealed = path.read_bytes()
    assert marker not in sealed and not sealed.startswith(b"%PDF")
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    cipher = FieldCipher(settings.field_encryption_key)
    assert cipher.decrypt(sealed, f"kyc.document:{document_id}") == document
    assert cipher.decrypt(bytes(pan_sealed), f"kyc.pan:{application['id']}") == pan.encode()
    for wrong_context in (f"kyc.document:{application['id']}", f"kyc.document:{uuid.uuid4()}"):
        with pytest.raises(DecryptionError):
            cipher.decrypt(sealed, wrong_context)


def test_a_submission_never_shows_its_pii() -> None:
    pan = a_pan()
    submission = KycSubmission.model_validate(
        {
            **form(pan, date_of_birth=DATE_OF_BIRTH, **ADDRESS),
            "document": UploadFile(io.BytesIO(PDF), filename="rahul-sharma-pan.pdf"),
        }
    )
    shown = f"{submission!r} {submission!s}"
    assert "terms_version" in shown
    for secret in [*_secrets(pan), "rahul-sharma"]:
        assert secret not in shown
