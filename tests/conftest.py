"""Shared test settings: hypothesis runs derandomised, so every run checks the same cases;
the notebooks bundle's student run starts in the background and is checked last."""

import bundle_student
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


def _is_student_run(item):
    return item.nodeid.endswith(bundle_student.TEST)


def pytest_collection_modifyitems(session, config, items):
    # The student run of the notebooks bundle takes minutes of mostly one core; it runs in
    # the background while the other tests run (bundle_student.py) and is checked last.
    items[:] = [i for i in items if not _is_student_run(i)] + [i for i in items if _is_student_run(i)]


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    if not session.config.option.collectonly and any(map(_is_student_run, session.items)):
        bundle_student.start()


def pytest_sessionfinish(session):
    bundle_student.stop()
