"""Settings, every one from an environment variable prefixed ``STOCKYARD_``."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOCKYARD_", extra="ignore")

    # A SQLAlchemy URL. The default is an embedded SQLite file in the working directory.
    database_url: str = "sqlite:///stockyard.db"
    # Connections kept open per process (PostgreSQL); SQLite uses one file and needs few.
    pool_size: int = 10
    # Tries of a transaction that failed on a serialization failure or deadlock.
    transaction_retries: int = 8
    host: str = "127.0.0.1"
    port: int = 8000
    # Idempotency keys are remembered this long.
    idempotency_ttl_hours: int = 24
    log_level: str = "info"
    # Web sessions end after this long without a request, and in any case this long after sign-in.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Send the session cookie only over HTTPS (turn on behind TLS).
    cookie_secure: bool = False
    # Failed sign-ins allowed per account and per address within the window before further tries wait.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    login_failure_window_minutes: int = 15
    # Integration client tokens expire after this many days unless created with another expiry.
    client_token_days: int = 365
    # Adjustments with a line above this quantity (in the SKU's base unit) wait for approval; None = never.
    adjustment_approval_quantity: Decimal | None = None
    # An adjustment whose value (quantity × the SKU's unit cost, summed over its lines) is above this waits too.
    adjustment_approval_value: Decimal | None = None
    # A first count differing from the books by more than this (base units) is recounted by someone else.
    count_recount_threshold: Decimal = Decimal(0)
    # Count-on-touch: a location a movement leaves with this much or less (base units, all items) is counted.
    count_on_touch_below: Decimal = Decimal(0)
    # A package's weight may differ from the expected (items plus carton) by this many percent either way.
    weight_tolerance_pct: Decimal = Decimal(5)
    # The time zone the web console shows times in (an IANA name); the API always speaks UTC.
    timezone: str = "UTC"
    # Where the web console's front-end libraries were installed by npm (scripts/bootstrap); None = the checkout's.
    web_assets_dir: str | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
