"""Identity and access: users, sessions, roles, second factor, API keys."""
