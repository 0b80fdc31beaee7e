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
    # 2: advice requests and teams
    (
        # Per-year reference counter: a number is never reused, even if a row were deleted.
        """
        CREATE TABLE advice_sequences (
            year INTEGER PRIMARY KEY,
            last INTEGER NOT NULL
        )
        """,
        # Personal fields (name, postcode, house_number, phone, moments, note, user_id) are
        # set to NULL when the resident asks (/forgetme) or retention expires (erased_at).
        """
        CREATE TABLE advice_requests (
            id              INTEGER PRIMARY KEY,
            reference       TEXT NOT NULL UNIQUE,
            user_id         INTEGER,
            locale          TEXT NOT NULL,
            municipality    TEXT NOT NULL,
            reason          TEXT NOT NULL,
            name            TEXT,
            postcode        TEXT,
            house_number    TEXT,
            phone           TEXT,
            moments         TEXT,
            status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                ('new', 'claimed', 'planned', 'done', 'not_possible', 'withdrawn')),
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            claimed_by      INTEGER,
            claimed_by_name TEXT,
            claimed_at      TEXT,
            planned_for     TEXT,
            closed_at       TEXT,
            closed_by_name  TEXT,
            note            TEXT,
            team_chat_id    INTEGER REFERENCES chats (chat_id)
                                ON UPDATE CASCADE ON DELETE SET NULL,
            team_message_id INTEGER,
            erased_at       TEXT
        )
        """,
        "CREATE INDEX advice_requests_user ON advice_requests (user_id, created_at)",
        "CREATE INDEX advice_requests_open ON advice_requests (status, municipality, created_at)",
        # A team group serves one or more municipalities; a municipality has at most one team.
        """
        CREATE TABLE advice_teams (
            municipality TEXT PRIMARY KEY,
            chat_id      INTEGER NOT NULL REFERENCES chats (chat_id)
                             ON UPDATE CASCADE ON DELETE CASCADE,
            linked_at    TEXT NOT NULL
        )
        """,
        "CREATE INDEX advice_teams_chat ON advice_teams (chat_id)",
        # One-time link codes; only a hash is stored, so the table does not hold usable codes.
        """
        CREATE TABLE advice_link_codes (
            code_hash    TEXT PRIMARY KEY,
            municipality TEXT NOT NULL,
            created_by   INTEGER NOT NULL,
            created_at   TEXT NOT NULL,
            expires_at   TEXT NOT NULL,
            used_at      TEXT,
            used_in_chat INTEGER
        )
        """,
    ),
    # 3: broadcasts (one per calendar occurrence, campaign or alert; the key is the idempotency
    # key), the outbox of deliveries, and per-municipality calendar overrides.
    (
        """
        CREATE TABLE broadcasts (
            key          TEXT PRIMARY KEY,
            source       TEXT NOT NULL,
            ref          TEXT NOT NULL,
            municipality TEXT,
            due_at       TEXT NOT NULL,
            state        TEXT NOT NULL CHECK (state IN ('planned', 'materialized', 'skipped')),
            reason       TEXT,
            hold_quiet   INTEGER NOT NULL DEFAULT 1,
            audience     TEXT,
            content      TEXT,
            recipients   INTEGER,
            created_at   TEXT NOT NULL,
            updated_at   TEXT NOT NULL
        )
        """,
        "CREATE INDEX broadcasts_due ON broadcasts (state, due_at)",
        """
        CREATE TABLE deliveries (
            id            INTEGER PRIMARY KEY,
            broadcast_key TEXT NOT NULL REFERENCES broadcasts (key) ON DELETE CASCADE,
            chat_id       INTEGER NOT NULL
                          REFERENCES chats (chat_id) ON UPDATE CASCADE ON DELETE CASCADE,
            locale        TEXT NOT NULL,
            state         TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'skipped')),
            not_before    TEXT NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            reason        TEXT,
            message_id    INTEGER,
            updated_at    TEXT NOT NULL,
            UNIQUE (broadcast_key, chat_id)
        )
        """,
        "CREATE INDEX deliveries_due ON deliveries (state, not_before)",
        "CREATE INDEX deliveries_chat ON deliveries (chat_id)",
        """
        CREATE TABLE calendar_overrides (
            municipality TEXT NOT NULL,
            entry_id     TEXT NOT NULL,
            local_date   TEXT NOT NULL DEFAULT '',
            action       TEXT NOT NULL CHECK (action IN ('skip', 'replace')),
            texts        TEXT,
            created_by   INTEGER,
            created_at   TEXT NOT NULL,
            PRIMARY KEY (municipality, entry_id, local_date)
        )
        """,
    ),
    # 4: roles, invites, audit log, campaigns, alerts, figures
    (
        # Roles granted in the chat (bootstrap admins come from the config). municipalities is a
        # comma-separated list of slugs, or "*" for the whole region.
        """
        CREATE TABLE roles (
            user_id        INTEGER NOT NULL,
            role           TEXT NOT NULL CHECK (role IN ('admin', 'adviser')),
            municipalities TEXT NOT NULL,
            label          TEXT NOT NULL DEFAULT '',
            granted_by     INTEGER,
            granted_at     TEXT NOT NULL,
            PRIMARY KEY (user_id, role)
        )
        """,
        # One-time invite links; only a hash of the code is stored.
        """
        CREATE TABLE role_invites (
            code_hash      TEXT PRIMARY KEY,
            role           TEXT NOT NULL,
            municipalities TEXT NOT NULL,
            created_by     INTEGER NOT NULL,
            created_at     TEXT NOT NULL,
            expires_at     TEXT NOT NULL,
            used_at        TEXT,
            used_by        INTEGER
        )
        """,
        # Who did (or tried) what, with ids only.
        """
        CREATE TABLE audit_log (
            id       INTEGER PRIMARY KEY,
            at       TEXT NOT NULL,
            actor_id INTEGER,
            action   TEXT NOT NULL,
            target   TEXT NOT NULL DEFAULT '',
            outcome  TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
            detail   TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX audit_log_at ON audit_log (at)",
        # A campaign's delivery state lives in its broadcast row (key "campaign:<id>").
        """
        CREATE TABLE campaigns (
            id          INTEGER PRIMARY KEY,
            author_id   INTEGER NOT NULL,
            state       TEXT NOT NULL
                        CHECK (state IN ('awaiting_approval', 'scheduled', 'cancelled')),
            texts       TEXT NOT NULL,
            image       TEXT,
            audience    TEXT NOT NULL,
            due_at      TEXT NOT NULL,
            approved_by INTEGER,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        )
        """,
        "CREATE INDEX campaigns_due ON campaigns (due_at)",
        """
        CREATE TABLE alerts (
            id             INTEGER PRIMARY KEY,
            author_id      INTEGER NOT NULL,
            municipality   TEXT NOT NULL,
            neighbourhoods TEXT NOT NULL DEFAULT '',
            sent_at        TEXT NOT NULL,
            recipients     INTEGER NOT NULL
        )
        """,
        "CREATE INDEX alerts_sent ON alerts (municipality, sent_at)",
        # Imported yearly burglary figures; the seed table ships as bot/data/burglaries.csv.
        """
        CREATE TABLE burglary_figures (
            municipality TEXT NOT NULL,
            year         INTEGER NOT NULL,
            burglaries   INTEGER NOT NULL CHECK (burglaries >= 0),
            imported_at  TEXT NOT NULL,
            PRIMARY KEY (municipality, year)
        )
        """,
    ),
    # 5: anonymous subscription history for the net change in /stats and the half-year report.
    # One row per change in whether a chat counts (subscribed, active, with a municipality), for
    # its municipality and kind; no chat or user id, so /forgetme need not touch it.
    (
        """
        CREATE TABLE subscription_events (
            id           INTEGER PRIMARY KEY,
            municipality TEXT NOT NULL,
            kind         TEXT NOT NULL,
            delta        INTEGER NOT NULL CHECK (delta IN (-1, 1)),
            at           TEXT NOT NULL
        )
        """,
        "CREATE INDEX subscription_events_at ON subscription_events (municipality, at)",
        # Existing subscribers start the history at the moment they subscribed.
        """
        INSERT INTO subscription_events (municipality, kind, delta, at)
        SELECT municipality, kind, 1, COALESCE(subscribed_at, created_at) FROM chats
        WHERE subscribed = 1 AND active = 1 AND municipality IS NOT NULL
        """,
    ),
    # 6: what operators see: the bot's run record (last start, heartbeat, version) and the health
    # conditions announced to the admins, so a restart does not announce them again.
    (
        """
        CREATE TABLE runtime_state (
            key        TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE health_alerts (
            condition TEXT PRIMARY KEY,
            raised_at TEXT NOT NULL,
            detail    TEXT NOT NULL DEFAULT ''
        )
        """,
    ),
]
