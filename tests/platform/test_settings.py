"""Settings: safe embedded defaults, persisted dev secrets, production demands secrets."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from liquibond.config import ConfigurationError, Environment, Settings


def test_development_generates_and_persists_secrets(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path)
    second = Settings(data_dir=tmp_path)
    assert first.jwt_key == second.jwt_key and len(first.jwt_key) >= 48
    assert len(first.field_encryption_key) == 32
    secrets_file = tmp_path / "secrets.json"
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    assert (
        first.resolved_database_url
        == f"sqlite+aiosqlite:///{(tmp_path / 'liquibond.db').resolve()}"
    )


def test_production_without_secrets_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises((ConfigurationError, ValidationError), match="LIQUIBOND_SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, data_dir=tmp_path)
    assert not (tmp_path / "secrets.json").exists()


def test_production_with_secrets(tmp_path: Path) -> None:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(
        env=Environment.PRODUCTION, data_dir=tmp_path, secret_key="s" * 64, encryption_key=key
    )
    assert settings.jwt_key == "s" * 64
    assert "s" * 64 not in repr(settings) and key not in repr(settings)


def test_bad_encryption_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(data_dir=tmp_path, encryption_key=base64.b64encode(b"short").decode())


def test_environment_variables_with_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQUIBOND_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("LIQUIBOND_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("LIQUIBOND_DATA_DIR", os.fspath(tmp_path))
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.max_body_bytes == 2048
