"""A small synchronous domain-event bus.

Events are plain frozen dataclasses, each defined by the app that publishes it
(``fenrun/<app>/events.py``); core keeps only the bus. ``publish`` calls each subscriber in
registration order, in the caller's transaction: a subscriber that raises rolls the whole change back.
"""

from collections import defaultdict
from collections.abc import Callable

_subscribers: dict[type, list[Callable]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Callable) -> None:
    if handler in _subscribers[event_type]:
        _subscribers[event_type].remove(handler)


def subscribers(event_type: type) -> list[Callable]:
    return list(_subscribers[event_type])


def publish(event) -> None:
    for handler in list(_subscribers[type(event)]):
        handler(event)
