"""`iamd login` without a server: how it edits the aws CLI's files, and its input checks.
Against a live server: tests/integration/test_login.py."""

from __future__ import annotations

import configparser

import pytest

from iamd.cli._login import with_section
from tests.cli import invoke

CREDENTIALS = {"aws_access_key_id": "ASIANEW", "aws_secret_access_key": "new-secret",
               "aws_session_token": "new-token"}


def parsed(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_a_new_file_gets_the_section() -> None:
    assert with_section("", "dev", CREDENTIALS) == (
        "[dev]\naws_access_key_id = ASIANEW\naws_secret_access_key = new-secret\n"
        "aws_session_token = new-token\n"
    )


def test_other_sections_comments_and_keys_are_kept() -> None:
    text = (
        "# my profiles\n"
        "[default]\n"
        "aws_access_key_id = AKIAKEEP\n"
        "\n"
        "[dev]\n"
        "; written by hand\n"
        "aws_access_key_id=ASIAOLD\n"
        "aws_secret_access_key = old-secret\n"
        "aws_access_key_id = ASIADUPLICATE\n"
        "output = json\n"
        "\n"
        "[prod]\n"
        "aws_access_key_id = AKIAPROD\n"
    )
    updated = with_section(text, "dev", CREDENTIALS)
    assert updated.startswith("# my profiles\n[default]\naws_access_key_id = AKIAKEEP\n\n")
    assert "; written by hand\n" in updated
    config = parsed(updated)
    assert dict(config["dev"]) == {**CREDENTIALS, "output": "json"}
    assert config["default"]["aws_access_key_id"] == "AKIAKEEP"
    assert config["prod"]["aws_access_key_id"] == "AKIAPROD"
    assert updated.count("aws_access_key_id = ASIANEW") == 1
    # The new key goes inside the section, before the blank line that ends it.
    assert "output = json\naws_session_token = new-token\n\n[prod]" in updated


def test_indented_sub_keys_are_not_taken_for_the_profile_s_own() -> None:
    text = "[profile dev]\ns3 =\n  region = eu-west-1\nregion = us-west-2\n"
    updated = with_section(text, "profile dev", {"region": "us-east-1",
                                                 "endpoint_url": "http://127.0.0.1:8400"})
    assert updated == (
        "[profile dev]\ns3 =\n  region = eu-west-1\nregion = us-east-1\n"
        "endpoint_url = http://127.0.0.1:8400\n"
    )


def test_a_missing_section_is_appended_after_a_blank_line() -> None:
    updated = with_section("[default]\nregion = eu-west-1", "profile dev", {"region": "x"})
    assert updated == "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = x\n"


@pytest.mark.parametrize("profile", ["", "a b", "dev]\n[evil", "x" * 65])
def test_malformed_profile_names_are_refused(profile: str) -> None:
    result = invoke("login", "--profile", profile, "--account", "1", "--user-name", "u")
    assert result.exit_code == 2
    assert "a profile name is" in result.stderr


def test_prompts_read_piped_input_and_an_unreachable_server_fails_cleanly() -> None:
    result = invoke("login", "--endpoint-url", "http://127.0.0.1:9",
                    input="123456789012\nalice\nsecret-password\n")
    assert result.exit_code == 1
    assert "Account" in result.stderr
    assert "User name" in result.stderr
    assert "iamd: cannot reach http://127.0.0.1:9" in result.stderr
    assert "secret-password" not in result.stdout + result.stderr
