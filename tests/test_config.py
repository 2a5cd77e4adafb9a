"""Configuration from the environment, with working defaults."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from petition.config import load_settings
from petition.db import Database
from workers.context import WorkerContext


def _hash_key(data_dir: str) -> str:
    return load_settings({"DATA_DIR": data_dir}).phone_hash_key


def test_defaults_need_no_variable_at_all(tmp_path: Path) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'petition.sqlite3'}"
    assert settings.redis_url is None  # the embedded Redis
    assert settings.recording_hosts == ("api.twilio.com",)
    assert settings.whisper_model == "bundled"
    assert settings.whisper_threads == 0  # CTranslate2 takes every core
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_generated_secrets_survive_a_restart(tmp_path: Path) -> None:
    first = load_settings({"DATA_DIR": str(tmp_path)})
    again = load_settings({"DATA_DIR": str(tmp_path)})
    assert (first.phone_hash_key, first.twilio_auth_token) == (
        again.phone_hash_key,
        again.twilio_auth_token,
    )


def test_processes_starting_together_agree_on_the_phone_hash_key(tmp_path: Path) -> None:
    with ProcessPoolExecutor(6) as pool:
        keys = set(pool.map(_hash_key, [str(tmp_path)] * 12))
    assert len(keys) == 1


def test_variables_override_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "RECORDING_HOSTS": "api.twilio.com, Media.Example.org",
            "PHONE_HASH_KEY": "k",
            "PUBLIC_BASE_URL": "https://petition.example.org/",
            "WHISPER_THREADS": "1",
        }
    )
    assert settings.recording_hosts == ("api.twilio.com", "media.example.org")
    assert settings.phone_hash_key == "k"
    assert settings.public_base_url == "https://petition.example.org"
    assert settings.whisper_threads == 1


def test_a_worker_loads_whisper_with_the_threads_it_is_given(
    tmp_path: Path, whisper_model_dir: Path
) -> None:
    settings = load_settings(
        {"DATA_DIR": str(tmp_path), "WHISPER_MODEL": str(whisper_model_dir), "WHISPER_THREADS": "1"}
    )
    assert WorkerContext(settings, Database(settings.database_url)).transcriber.cpu_threads == 1


def test_the_carriers_api_is_twilios_unless_told_otherwise(tmp_path: Path) -> None:
    default = load_settings({"DATA_DIR": str(tmp_path)})
    assert default.twilio_api_base == "https://api.twilio.com"
    other = load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "TWILIO_API_BASE": "https://carrier.example.net/api/laml/",
            "TWILIO_API_TIMEOUT": "2.5",
        }
    )
    assert other.twilio_api_base == "https://carrier.example.net/api/laml"
    assert other.twilio_api_timeout == 2.5
