"""Local stand-ins for outside services, scripted per test."""
