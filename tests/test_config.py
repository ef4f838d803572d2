from pathlib import Path

import pytest

from monitor.config import Settings, generate_secret_key_file
from monitor.errors import ConfigError


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", "   ", "changeme", "SECRET", "short-key-of-20-chars"])
def test_config_refuses_empty_weak_or_short_keys(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError):
        _settings(tmp_path, secret_key=key).require_secret_key()


def test_config_missing_key_says_how_to_make_one(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="monitor secret init"):
        _settings(tmp_path).require_secret_key()


def test_config_key_file_is_generated_once_and_read(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_SECRET_KEY", raising=False)
    settings = _settings(tmp_path)
    assert generate_secret_key_file(settings.secret_key_file)
    first = settings.require_secret_key()
    assert not generate_secret_key_file(settings.secret_key_file)
    assert settings.require_secret_key() == first and len(first) >= 32


def test_config_environment_variables_win(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_MAX_TEXT_BYTES", "5000")
    monkeypatch.setenv("MONITOR_OVERSIZE_TEXT", "reject")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.max_text_bytes, settings.oversize_text) == (5000, "reject")


def test_config_default_database_is_sqlite_in_the_data_dir(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    url = _settings(tmp_path).effective_database_url
    assert url == f"sqlite:///{tmp_path.resolve() / 'monitor.db'}"
