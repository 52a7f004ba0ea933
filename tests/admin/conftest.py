import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client


@pytest.fixture
def staff_client(db):
    """A staff member holding exactly the given permissions (codenames)."""

    def make(*codenames: str) -> Client:
        user = User.objects.create_user(
            f"staff-{len(codenames)}-{User.objects.count()}", password="pw-for-tests", is_staff=True
        )
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make
