"""Shared test settings: hypothesis runs derandomised, so every run checks the same cases;
and the modules that must not run beside each other when `make test` runs two processes."""

import fcntl
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "book",
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("book")


# `make test` runs pytest in two processes (pytest-xdist, --dist loadscope: a notebook's cells
# stay in one kernel, a module's tests in one process). The sandbox tests check that no
# sandbox process is left over and that the checkout is unchanged after grading, which only
# holds while nothing else grades beside them: their modules take turns.
SERIAL = {"test_autograder.py", "test_grader.py", "test_sandbox_hardening.py"}
LOCK = Path(__file__).resolve().parents[1] / "_build" / ".serial-tests.lock"


@pytest.fixture(scope="module", autouse=True)
def one_serial_module_at_a_time(request):
    if request.path.name not in SERIAL:
        yield
        return
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
