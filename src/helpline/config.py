"""Settings read from the environment (prefix HELPLINE_) or a .env file."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPLINE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/helpline.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Used only to sign nothing secret-bearing today; sessions are random tokens stored hashed.
    secure_cookies: bool = False  # set true behind HTTPS so cookies carry the Secure flag
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    max_request_bytes: int = 2_000_000


@lru_cache
def get_settings() -> Settings:
    return Settings()
