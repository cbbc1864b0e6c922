"""The agent: message types, memory, planners, the task registry and the turn loop.

Knows neither platform SDKs nor tensors; bots call in, workers run what it plans.
"""
