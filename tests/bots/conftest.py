import pytest


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Bots tests commit for real, so on_commit hooks (queueing uploads) run as in production."""
