"""What communication advisers and admins work with, independent of Telegram: scopes, moments,
figures, statistics and charts."""
