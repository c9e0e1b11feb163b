"""A misconfiguration stops start-up with a message naming the variable to set."""
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_VARIABLES = ("DEBUG", "SECRET_KEY", "PLAYGROUND_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL",
                      "DJANGO_SETTINGS_MODULE", "PLAYGROUND_EXPERIMENT_WORKERS")


def check(**variables) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(variables)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def production(**variables) -> dict:
    return {"DEBUG": "False", "SECRET_KEY": "x" * 50, "PLAYGROUND_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            **variables}


def test_a_complete_production_configuration_starts():
    done = check(**production())
    assert done.returncode == 0, done.stderr


def test_production_without_secret_key_stops_naming_it():
    settings = production()
    del settings["SECRET_KEY"]
    done = check(**settings)
    assert done.returncode != 0
    assert "ImproperlyConfigured: Set SECRET_KEY" in done.stderr


def test_production_without_encryption_keys_stops_naming_them():
    settings = production()
    del settings["PLAYGROUND_ENCRYPTION_KEYS"]
    done = check(**settings)
    assert done.returncode != 0
    assert "Set PLAYGROUND_ENCRYPTION_KEYS" in done.stderr


def test_a_bad_encryption_key_stops_naming_the_variable():
    done = check(PLAYGROUND_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-fernet-key")
    assert done.returncode != 0
    assert "PLAYGROUND_ENCRYPTION_KEYS must be comma-separated Fernet keys" in done.stderr
    assert "not-a-fernet-key" not in done.stderr


def test_a_bad_database_url_stops_start_up():
    done = check(DATABASE_URL="nosuchdb://somewhere/db")
    assert done.returncode != 0
    assert "DATABASE_URL" in done.stderr


def test_a_bad_redis_url_or_debug_value_stops_start_up_naming_the_variable():
    for name, value in (("REDIS_URL", "garbage"), ("DEBUG", "maybe")):
        done = check(**{name: value})
        assert done.returncode != 0 and name in done.stderr


def debug_of(**variables) -> str:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(variables, DJANGO_SETTINGS_MODULE="playground.settings")
    done = subprocess.run([sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_debug_is_off_unless_set_and_make_run_is_what_sets_it():
    assert debug_of() == "False"
    assert debug_of(DEBUG="True") == "True"
    run = subprocess.run(["make", "--dry-run", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    daphne = next(line for line in run.splitlines() if "daphne" in line)
    assert daphne.startswith("DEBUG=${DEBUG:-True} ")  # on for development, unless the shell says DEBUG=False


def test_experiment_workers_without_postgresql_and_redis_stop_start_up_saying_what_they_need():
    done = check(PLAYGROUND_EXPERIMENT_WORKERS="1")
    assert done.returncode != 0
    assert "PLAYGROUND_EXPERIMENT_WORKERS needs REDIS_URL and a PostgreSQL DATABASE_URL" in done.stderr


def test_the_worker_command_without_workers_on_says_how_to_turn_them_on():
    done = subprocess.run([sys.executable, "manage.py", "experimentworker"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES})
    assert done.returncode != 0 and "Set PLAYGROUND_EXPERIMENT_WORKERS=1" in done.stderr
