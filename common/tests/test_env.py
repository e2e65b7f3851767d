import pytest
from django.core.exceptions import ImproperlyConfigured

from common.env import env_bool, env_int, env_list, env_secret, env_str


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("Yes", True), ("false", False), ("0", False)]
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG", False)


def test_env_int_uses_default_when_unset_and_refuses_junk(monkeypatch):
    monkeypatch.delenv("N", raising=False)
    assert env_int("N", 7) == 7
    monkeypatch.setenv("N", "x")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 7)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("L", " a, b ,,c")
    assert env_list("L") == ["a", "b", "c"]


def test_a_required_value_without_default_fails_loudly(monkeypatch):
    monkeypatch.delenv("MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured):
        env_str("MISSING")


def test_secrets_come_from_a_mounted_file(monkeypatch, tmp_path):
    path = tmp_path / "key"
    path.write_text("s3cret")
    monkeypatch.delenv("KEY", raising=False)
    monkeypatch.setenv("KEY_FILE", str(path))
    assert env_secret("KEY") == "s3cret"
