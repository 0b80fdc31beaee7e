"""Sharing broadcasts in WhatsApp groups and the readers' 👍/👎, without Telegram: the wa.me
link (share.py) and which buttons a broadcast carries (buttons.py)."""
