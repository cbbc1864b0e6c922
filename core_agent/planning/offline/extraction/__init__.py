"""Argument extraction for the offline planner: pure functions from request text to values."""
