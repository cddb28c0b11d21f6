"""Issue 17: the systems register in the controller profile — the packaged demo register,
and every kind of bad entry refused with one line naming the system (exit 2 in the CLI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from avgdesk.models.errors import ConfigurationError
from avgdesk.replies import load_profile
from avgdesk.replies.profile import default_profile_path

GOOD = default_profile_path().read_text(encoding="utf-8")
CRM_QUERY = next(line for line in GOOD.splitlines() if line.startswith('sql = "SELECT customer_number'))
CRM_ERASE = 'sql = "DELETE FROM customers WHERE lower(email) = lower(:email)"'
ERASE_ENV = 'erase_url_env = "AVGDESK_SYSTEM_CRM_ERASE_URL"'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "controller.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_register_has_the_five_systems() -> None:
    profile = load_profile()
    assert [s.id for s in profile.systems] == [
        "crm",
        "boekhouding",
        "nieuwsbriefdienst",
        "supportdesk",
        "website-analytics",
    ]
    crm = profile.system("crm")
    assert crm is not None and crm.connector == "sql" and crm.url_env == "AVGDESK_SYSTEM_CRM_URL"
    assert [q.name for q in crm.queries] == ["klantgegevens", "contracten"]
    assert [e.name for e in crm.erasure] == ["contracten_wissen", "klant_wissen"]
    assert crm.erase_url_env == "AVGDESK_SYSTEM_CRM_ERASE_URL" and crm.erasure[1].keys == ("email",)
    assert all(s.connector == "manual" and not s.queries for s in profile.systems[1:])
    assert all(s.owner and s.retention and s.purposes for s in profile.systems)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('retention = "technical"\n', 'retention = "forever"\n', "unknown retention id(s): forever"),
        ('data_categories = ["technical"]', 'data_categories = ["dna"]', "unknown data category id(s): dna"),
        ('url_env = "AVGDESK_SYSTEM_CRM_URL"', 'url_env = "postgresql://crm:geheim@db/crm"', "url_env"),
        ('url_env = "AVGDESK_SYSTEM_CRM_URL"\n', "", "needs url_env"),
        (CRM_QUERY, 'sql = "DELETE FROM customers WHERE email = :email"', "must be one SELECT"),
        (CRM_QUERY, "sql = \"SELECT * FROM customers WHERE email = 'x'\"", ":email"),
        (CRM_QUERY, 'sql = "SELECT 1 WHERE :email = 1; DROP TABLE customers"', "one statement"),
        ('\nconnector = "sql"', '\nconnector = "ldap"', "connector"),
        ('\nid = "boekhouding"', '\nid = "crm"', "duplicate"),
        (CRM_QUERY, 'sql = "SELECT * FROM customers WHERE iban = :iban"', "unknown bound parameter(s) :iban"),
        (CRM_ERASE, 'sql = "SELECT * FROM customers WHERE email = :email"', "must be one DELETE or UPDATE"),
        (CRM_ERASE, 'sql = "UPDATE customers SET email = :email"', "needs a WHERE"),
        (CRM_ERASE, 'sql = "DELETE FROM customers WHERE 1 = 1"', "must bind an identity key"),
        (CRM_ERASE, 'sql = "DELETE FROM a WHERE x = :email; DELETE FROM b"', "one statement"),
        (ERASE_ENV, "", "erase_url_env go together"),
        (ERASE_ENV, 'erase_url_env = "postgresql://crm:geheim@db/crm"', "erase_url_env"),
    ],
)
def test_bad_system_entries_are_refused_on_one_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    with pytest.raises(ConfigurationError) as info:
        load_profile(write(tmp_path, GOOD.replace(old, new, 1)))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert "geheim" not in message or "url_env" in message


def test_manual_system_with_queries_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('retention = "technical"\n', 'retention = "technical"\nurl_env = "X_URL"\n')
    with pytest.raises(ConfigurationError, match="connector sql only"):
        load_profile(write(tmp_path, text))


def test_bad_register_stops_the_worker_with_exit_2(tmp_path: Path) -> None:
    avgdesk = shutil.which("avgdesk")
    assert avgdesk is not None, "pip install -e ."
    bad = write(tmp_path, GOOD.replace('retention = "technical"\n', 'retention = "nope"\n'))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    env.update(AVGDESK_DATA_DIR=str(tmp_path / "data"), AVGDESK_CONTROLLER_PROFILE=str(bad))
    result = subprocess.run(
        [avgdesk, "run", "--once"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert len(errors) == 1 and "unknown retention id(s): nope" in errors[0]
    assert "Traceback" not in result.stderr
