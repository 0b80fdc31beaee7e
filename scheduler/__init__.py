"""Time: resolving the calendar into occurrences and exporting them; no Telegram, no DB."""
