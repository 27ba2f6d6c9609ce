import pytest
from django.test import Client

from tests.factories import PASSWORD, RoomFactory, UserFactory


@pytest.fixture(autouse=True)
def _english_and_moscow(settings):
    settings.LANGUAGE_CODE = "en"
    settings.TIME_ZONE = "Europe/Moscow"


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _tasks_run_where_enqueued(request, settings):
    """Most tests see a mail as soon as its change commits: each task runs where it is
    enqueued. Tests of the task engine itself (marked ``worker``) keep the real
    backend and run a worker."""
    if "worker" not in request.keywords:
        settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture(autouse=True)
def _fresh_api_limits():
    """Each test starts with the API's rate limits uncounted."""
    from django.core.cache import caches

    caches["throttle"].clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def employee(db):
    return UserFactory(name="Erin Employee", email="erin@example.com")


@pytest.fixture
def other_employee(db):
    return UserFactory(name="Oscar Other", email="oscar@example.com")


@pytest.fixture
def admin_user(db):
    return UserFactory(name="Ada Admin", email="ada@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def room(db):
    return RoomFactory(name="Cedar", capacity=8)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def employee_client(employee) -> Client:
    return _client_for(employee)


@pytest.fixture
def other_client(other_employee) -> Client:
    return _client_for(other_employee)


@pytest.fixture
def admin_client_(admin_user) -> Client:
    return _client_for(admin_user)


def pytest_configure(config):
    from django.conf import settings

    # Tests create many users; a fast hasher keeps them quick (never in production).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
