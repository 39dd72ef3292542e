"""All settings in one place: environment variables prefixed `LIQUIBOND_`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    """Where Liquibond runs; production refuses unsafe defaults."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; raised at startup, never at request time."""


_SECRETS_FILE = "secrets.json"
_GENERATED_SECRETS = ("secret_key", "encryption_key")


class Settings(BaseSettings):
    """Liquibond's configuration. Embedded defaults; production demands explicit secrets."""

    model_config = SettingsConfigDict(env_prefix="LIQUIBOND_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None

    secret_key: SecretStr | None = Field(default=None, description="JWT signing key")
    encryption_key: SecretStr | None = Field(
        default=None, description="base64 of 32 bytes, for field-level encryption of PII"
    )

    webhook_secrets: SecretStr | None = Field(
        default=None, description="source=secret pairs, comma-separated, for inbound webhooks"
    )

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    db_pool_size: int = Field(default=10, ge=1)

    jwt_issuer: str = "liquibond"
    jwt_audience: str = "liquibond-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=300)

    demo_mode: bool = Field(
        default=False, description="demo faucet and data; refused in production"
    )
    payment_rail: Literal["sandbox"] = "sandbox"
    sandbox_rail_delay_seconds: float = Field(default=0.5, ge=0)
    reconciliation_interval_seconds: float = Field(default=900, gt=0)
    collect_expiry_seconds: float = Field(default=900, gt=0)
    demo_liquidity_interval_seconds: float = Field(
        default=5.0,
        ge=0,
        description="how often the demo's liquidity provider requotes the books and the flow "
        "trader trades; 0: never",
    )
    demo_market_maker: bool = Field(
        default=True,
        description="run the market-maker program beside the demo server, answering the RFQs "
        "asked of maker@demo.liquibond.dev",
    )

    auth_attempts_per_minute: int = Field(default=10, ge=1)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)

    trading_lease_seconds: float = Field(
        default=10.0,
        ge=1,
        description="a book's writer lease; after a crash, its successor waits this long at most",
    )
    trading_forward_seconds: float = Field(
        default=10.0,
        gt=0,
        description="with Redis: how long an order for a book another process writes may wait "
        "for that process to take it",
    )

    # Venue-wide pre-trade limits, per user (an instrument may set a lower order notional).
    trading_max_order_notional: int = Field(
        default=10**12, gt=0, description="largest clean consideration of one order, minor units"
    )
    trading_max_position_percent: Decimal = Field(
        default=Decimal(25), gt=0, le=100, description="of an issue one user may hold and bid for"
    )
    trading_max_issuer_exposure: int | None = Field(
        default=None, gt=0, description="face value of one issuer's bonds held and bid for"
    )
    trading_rating_limits: dict[str, int] = Field(
        default_factory=lambda: {"SUB_IG": 1_00_00_000_00, "UNRATED": 1_00_00_000_00},
        description="face value held and bid for per rating bucket "
        "(SOV, AAA, AA, A, BBB, SUB_IG, UNRATED); absent buckets are unlimited",
    )
    trading_market_protection_percent: Decimal = Field(
        default=Decimal(5),
        gt=0,
        le=50,
        description="how far from the reference a market order may trade when its bond has no band",
    )

    coupon_tax_percent: Decimal = Field(
        default=Decimal(10),
        ge=0,
        le=100,
        decimal_places=4,
        description="tax withheld from the interest of every coupon and redemption paid",
    )
    corporate_actions_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="how often the server runs due coupons and redemptions; 0: never "
        "(only `POST /api/v1/corporate-actions/{id}/run`)",
    )
    corporate_actions_call_notice_days: int = Field(
        default=15, ge=1, description="least calendar days between announcing a call and paying it"
    )
    auctions_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how often the server moves auctions whose time has come (announce, open, "
        "close, clear, settle); 0: never (only the `POST /api/v1/auctions/{id}/...` steps)",
    )

    rfq_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how often the server expires RFQs and quotes whose time has passed and "
        "ends last looks held too long; 0: never",
    )
    rfq_max_open_per_requester: int = Field(
        default=20, ge=1, description="RFQs one requester may have open at once, by default"
    )
    rfq_max_quantity: int | None = Field(
        default=None, gt=0, description="largest RFQ size in units, by default (None: no limit)"
    )
    rfq_last_look_max_ms: int = Field(
        default=5_000,
        ge=0,
        le=60_000,
        description="the longest a dealer may hold an accepted quote for its last look "
        "(milliseconds); 0: no last look on this venue",
    )

    chain: Literal["off", "embedded", "anvil", "rpc"] = Field(
        default="embedded",
        description="the EVM chain bonds are tokenized on: embedded (in process, rebuilt from "
        "the ledger on every start), anvil (a local node Liquibond runs, state in data_dir), "
        "rpc (any node at chain_rpc_url), or off",
    )
    chain_rpc_url: str | None = Field(default=None, description="the node's URL (chain=rpc)")
    chain_confirmations: int = Field(
        default=2, ge=0, description="blocks a transaction must be under before it counts (rpc)"
    )
    chain_anvil_path: Path | None = Field(
        default=None, description="the anvil binary (default: on PATH, else .tools/anvil)"
    )
    chain_country: int = Field(
        default=356,
        ge=1,
        le=999,
        description="the ISO 3166-1 numeric country the identity registry records (356: India)",
    )
    chain_interval_seconds: float = Field(
        default=2.0,
        ge=0,
        description="how often the server lists new investors' wallets in the identity "
        "registry; 0: never",
    )
    chain_settlement_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how often trades in tokenized bonds are settled on chain, in one DvP "
        "batch per run; 0: never",
    )
    chain_settlement_netting: bool = Field(
        default=True,
        description="net each settlement batch per participant into the fewest deliveries "
        "(one DvP id per batch) rather than settle every trade on chain",
    )
    chain_settlement_mode: Literal["hybrid", "onchain"] = Field(
        default="hybrid",
        description="hybrid: the bond leg moves on chain and the cash leg in the ledger once "
        "it has; onchain: both legs in one DvP transaction, the cash as the currency's cash "
        "token (minted to the buyer for the batch, burnt from the seller after; never netted)",
    )
    chain_reconcile_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="how often every wallet's tokens are compared with the ledger; 0: never",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("encryption_key")
    @classmethod
    def _check_encryption_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(_decode_key(value.get_secret_value())) != 32:
            raise ValueError("LIQUIBOND_ENCRYPTION_KEY must be base64 of exactly 32 bytes")
        return value

    @model_validator(mode="after")
    def _require_secrets_in_production(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            missing = [
                f"LIQUIBOND_{name.upper()}"
                for name in _GENERATED_SECRETS
                if getattr(self, name) is None
            ]
            if self.demo_mode:
                raise ConfigurationError("LIQUIBOND_DEMO_MODE cannot be on in production.")
            if missing:
                raise ConfigurationError(
                    f"{', '.join(missing)} must be set when LIQUIBOND_ENV=production; "
                    "Liquibond never generates production secrets."
                )
        return self

    @property
    def is_production(self) -> bool:
        """True when running with production safeguards."""
        return self.env is Environment.PRODUCTION

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'liquibond.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def jwt_key(self) -> str:
        """The JWT signing key (generated and persisted in development)."""
        return self._secret("secret_key")

    @cached_property
    def field_encryption_key(self) -> bytes:
        """The 32-byte AES-GCM key for field-level encryption of PII."""
        return _decode_key(self._secret("encryption_key"))

    def webhook_secret(self, source: str) -> bytes:
        """The shared secret for webhooks from `source` (e.g. `payments`, `kyc`).

        `LIQUIBOND_WEBHOOK_SECRETS` maps sources to secrets (`payments=...,kyc=...`), as issued
        by the provider; without one, a per-source key is derived from the secret key, which
        suits the sandbox rails that run inside Liquibond.
        """
        configured = (
            dict(
                item.split("=", 1)
                for item in self.webhook_secrets.get_secret_value().split(",")
                if "=" in item
            )
            if self.webhook_secrets
            else {}
        )
        if source in configured:
            return configured[source].strip().encode()
        return hmac.new(
            self.jwt_key.encode(), f"webhook:{source}".encode(), hashlib.sha256
        ).digest()

    def _secret(self, name: str) -> str:
        configured: SecretStr | None = getattr(self, name)
        if configured is not None:
            return configured.get_secret_value()
        return _dev_secrets(self.data_dir)[name]

    def __repr_args__(self) -> Any:
        # SecretStr already masks itself; this keeps the repr short and safe in logs.
        return [(k, v) for k, v in super().__repr_args__() if k not in _GENERATED_SECRETS]


def _decode_key(encoded: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError as exc:
        raise ValueError("encryption key is not valid base64") from exc


def _dev_secrets(data_dir: Path) -> dict[str, str]:
    """Load, or create once with mode 0600, the development secrets under the data directory."""
    path = data_dir / _SECRETS_FILE
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        if all(name in stored for name in _GENERATED_SECRETS):
            return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = {
        "secret_key": secrets.token_urlsafe(48),
        "encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated
