import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import protobrain

if os.environ.get("PROTOBRAIN_TEST_INSTALLED"):
    # scripts/release.sh tests an installed wheel: the source folder must not be what imports.
    _source = Path(__file__).resolve().parent.parent / "protobrain"
    if Path(protobrain.__file__).resolve().parent == _source:
        raise RuntimeError(f"PROTOBRAIN_TEST_INSTALLED is set but protobrain was imported from {_source}")

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _restore_global_random_state():
    """Tests seed numpy's global state; leave it as they found it."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)
