"""Platform adapters: each turns its platform's events into Messages and Replies back."""
