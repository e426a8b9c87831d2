"""Settings, every one from an environment variable prefixed ``STOCKYARD_``."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
