import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hcl import load_all  # noqa: E402


@pytest.fixture(scope="session")
def modules():
    """Every module of infra/terraform, parsed once."""
    return load_all()
