"""The home self-check (/zelftest, /selfcheck) without Telegram: the questions with their sources,
the score and the three most important improvements for one home."""
