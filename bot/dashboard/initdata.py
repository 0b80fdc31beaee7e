"""Telegram Mini App `initData`: checked exactly as Telegram documents it (Bot API, Mini Apps,
"Validating data received via the Mini App") before the user in it is believed.

- the data is a URL query string; every field except `hash` goes, URL-decoded, into the
  data-check-string as `key=value` lines sorted by key, joined with "\\n";
- the secret key is HMAC-SHA256 of the bot token with the key "WebAppData";
- `hash` must be the hex HMAC-SHA256 of the data-check-string under that key (compared in
  constant time);
- `auth_date` (Unix time) must be no older than MAX_AGE, so a captured initData stops working.

Standard library only (hmac, hashlib), so the check has no dependency to trust besides Python.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=1)
# initData is a few hundred bytes; anything far larger is not Telegram's.
MAX_LENGTH = 8192
Refusal = Literal["malformed", "signature", "expired"]


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def validate(init_data: str, bot_token: str, now: datetime) -> WebAppUser | Refusal:
    """The user `init_data` was signed for, or why it is refused."""
    if not init_data or len(init_data) > MAX_LENGTH:
        return "malformed"
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return "malformed"
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        return "malformed"  # a repeated key would make the signed data ambiguous
    expected = hmac.new(
        secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"]):
        return "signature"
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), now.tzinfo)
        user = json.loads(fields["user"])
        result = WebAppUser(
            int(user["id"]), str(user.get("first_name", "")), user.get("language_code")
        )
    except (KeyError, ValueError, TypeError, OverflowError):
        return "malformed"
    if not now - MAX_AGE <= signed_at <= now + timedelta(minutes=5):
        return "expired"
    return result
