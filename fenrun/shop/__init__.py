"""The assembled shop: the app that knows every other one.

It wires the apps together at start-up (``fenrun.wiring``) and seeds the demo shop; nothing
below it may import it.
"""
