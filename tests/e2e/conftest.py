def pytest_configure(config):
    # pytest-xdist registers this marker, but runs with `-p no:xdist` (and --strict-markers) need it too.
    config.addinivalue_line(
        "markers", "xdist_group(name): run in the same xdist worker as its group"
    )
