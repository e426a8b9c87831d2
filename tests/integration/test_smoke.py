from tests.helpers import World


def test_receive_then_balance(world: World) -> None:
    loc = world.location("A-01")
    world.receive(loc, 5)
