"""Test helpers shared by the services' suites (a pytest plugin, loaded through an entry point)."""
