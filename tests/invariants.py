"""A fixture for tests that change data the way production does (the race tests): after the test, the stored
data must pass every check of `manage.py check_invariants`.

Use with `pytestmark = [..., pytest.mark.usefixtures("invariants_hold_after")]` and an import of the
fixture. Tests whose name says "naive" patch in the broken code path on purpose and are not checked.
"""

import pytest

from queueing import invariants


@pytest.fixture
def invariants_hold_after(request):
    yield
    if "naive" not in request.node.name:
        findings = invariants.check_all()
        assert not findings, "broken invariants:\n" + "\n".join(map(str, findings))
