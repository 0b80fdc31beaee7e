"""Forward-only schema migrations; version N is MIGRATIONS[N - 1], recorded in PRAGMA user_version.

Never edit a released step: append a new one. Every table that refers to a chat uses
`ON UPDATE CASCADE`, so moving a chat id after a supergroup migration moves all its rows with it.
"""

MIGRATIONS: list[tuple[str, ...]] = [
    # 1: chats and their subscriptions; PTB's persisted conversation/chat state.
    (
        """
        CREATE TABLE chats (
            chat_id       INTEGER PRIMARY KEY,
            kind          TEXT NOT NULL CHECK (kind IN ('private', 'group')),
            locale        TEXT NOT NULL,
            municipality  TEXT,
            neighbourhood TEXT,
            topics        TEXT NOT NULL DEFAULT '',
            subscribed    INTEGER NOT NULL DEFAULT 0 CHECK (subscribed IN (0, 1)),
            active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            subscribed_at TEXT
        )
        """,
        "CREATE INDEX chats_audience ON chats (municipality, subscribed, active)",
        """
        CREATE TABLE ptb_state (
            kind  TEXT NOT NULL,
            key   TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        )
        """,
    ),
]
