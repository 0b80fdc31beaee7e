"""Free PKVW prevention advice, without Telegram: validating what residents type, the request's
states and limits, reference numbers, working days and what privacy requires.

The chat side lives in bot/handlers/advice.py, team.py and privacy.py, and bot/teamwork.py.
"""
