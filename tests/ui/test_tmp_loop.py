import asyncio
from tests.ui.conftest import drive
async def f():
    await asyncio.sleep(0.01)
    return 5
def test_a(qtbot, qloop):
    assert drive(qtbot, f()) == 5
def test_b(qtbot, qloop):
    assert drive(qtbot, f(), timeout=2000) == 5
