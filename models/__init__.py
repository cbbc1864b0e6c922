"""Audio models: one base per task family, one module per backend, a registry by task id.

Knows audio and nothing about platforms or the agent.
"""
