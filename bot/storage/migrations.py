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
    # 6: the topics that became default (holidays and Stop Heling) are offered once to the
    # chats that subscribed before; they are never switched on without a yes. A row lives only
    # while its offer is open: answered or no longer needed, it is deleted.
    (
        """
        CREATE TABLE topic_offers (
            chat_id    INTEGER PRIMARY KEY REFERENCES chats (chat_id)
                           ON UPDATE CASCADE ON DELETE CASCADE,
            topics     TEXT NOT NULL,
            message_id INTEGER,
            created_at TEXT NOT NULL
        )
        """,
        """
        INSERT INTO topic_offers (chat_id, topics, created_at)
        SELECT chat_id, 'holidays,valuables', strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
        FROM chats WHERE subscribed = 1
        """,
    ),
    # 7: audit log under flood: repeated refusals are one row with a count (count, last_at), and
    # rows expire after audit.retention_days counted from their last repeat.
    (
        "ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE audit_log ADD COLUMN last_at TEXT",
        "UPDATE audit_log SET last_at = at",
        "CREATE INDEX audit_log_last ON audit_log (last_at)",
        "CREATE INDEX audit_log_actor ON audit_log (actor_id, outcome, at)",
    ),
    # 8: the neighbourhood inspection (wijkschouw) and the home self-check.
    (
        # One walk in a neighbourhood group; `code` is the unguessable part of the deep link
        # participants use to report findings in a private chat. finishing_at: who sends the
        # summary and report after closing holds it, so they go out once.
        """
        CREATE TABLE inspections (
            id                INTEGER PRIMARY KEY,
            code              TEXT NOT NULL UNIQUE,
            chat_id           INTEGER NOT NULL REFERENCES chats (chat_id)
                                  ON UPDATE CASCADE ON DELETE CASCADE,
            municipality      TEXT NOT NULL,
            neighbourhood     TEXT,
            walk_at           TEXT NOT NULL,
            meeting_point     TEXT NOT NULL,
            organiser_id      INTEGER,
            state             TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
            invite_message_id INTEGER,
            created_at        TEXT NOT NULL,
            closed_at         TEXT,
            summary_sent_at   TEXT,
            reported_at       TEXT,
            finishing_at      TEXT
        )
        """,
        # At most one open walk per group.
        "CREATE UNIQUE INDEX inspections_open ON inspections (chat_id) WHERE state = 'open'",
        "CREATE INDEX inspections_closed ON inspections (municipality, closed_at)",
        """
        CREATE TABLE inspection_participants (
            inspection_id INTEGER NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
            user_id       INTEGER NOT NULL,
            joined_at     TEXT NOT NULL,
            PRIMARY KEY (inspection_id, user_id)
        )
        """,
        "CREATE INDEX inspection_participants_user ON inspection_participants (user_id)",
        # reporter_id only serves the reporter's own /mydata and /forgetme; it is never shown.
        # photo is a file name in the data folder's media directory (EXIF removed).
        """
        CREATE TABLE inspection_findings (
            id            INTEGER PRIMARY KEY,
            inspection_id INTEGER NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
            number        INTEGER NOT NULL,
            reporter_id   INTEGER,
            category      TEXT NOT NULL,
            note          TEXT,
            street        TEXT,
            latitude      REAL,
            longitude     REAL,
            photo         TEXT,
            status        TEXT NOT NULL DEFAULT 'open'
                              CHECK (status IN ('open', 'forwarded', 'solved', 'not_ours')),
            status_reason TEXT,
            status_at     TEXT,
            created_at    TEXT NOT NULL,
            UNIQUE (inspection_id, number)
        )
        """,
        "CREATE INDEX inspection_findings_reporter ON inspection_findings (reporter_id)",
        # The message in a team group (or an adviser's chat) on which findings are marked. No
        # reference to chats: an admin who gets the report may have no chats row, and a board
        # left in a group that became a supergroup cannot be pressed anyway.
        """
        CREATE TABLE inspection_boards (
            inspection_id INTEGER NOT NULL REFERENCES inspections (id) ON DELETE CASCADE,
            chat_id       INTEGER NOT NULL,
            message_id    INTEGER NOT NULL,
            PRIMARY KEY (inspection_id, chat_id)
        )
        """,
        # Self-check answers are kept only for a reminder the resident asked for (deleted when
        # it is sent) or with an advice request (advice_requests.selfcheck, a personal field).
        """
        CREATE TABLE selfcheck_reminders (
            user_id    INTEGER PRIMARY KEY,
            answers    TEXT NOT NULL,
            locale     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            due_at     TEXT NOT NULL
        )
        """,
        "CREATE INDEX selfcheck_reminders_due ON selfcheck_reminders (due_at)",
        "ALTER TABLE advice_requests ADD COLUMN selfcheck TEXT",
    ),
    # 9: delivery outcomes of erased chats, kept as anonymous counts so that /stats and the
    # report do not lose past deliveries when someone uses /forgetme (deliveries of a chat are
    # deleted with it). And neighbourhood alerts became a topic that groups can switch off:
    # groups subscribed before got every alert, so they keep the topic on.
    (
        """
        CREATE TABLE delivery_tallies (
            broadcast_key TEXT NOT NULL REFERENCES broadcasts (key) ON DELETE CASCADE,
            municipality  TEXT NOT NULL DEFAULT '',
            state         TEXT NOT NULL,
            blocked       INTEGER NOT NULL CHECK (blocked IN (0, 1)),
            n             INTEGER NOT NULL CHECK (n > 0),
            PRIMARY KEY (broadcast_key, municipality, state, blocked)
        )
        """,
        """
        UPDATE chats SET topics = topics || ',alerts'
        WHERE kind = 'group' AND topics != '' AND (',' || topics || ',') NOT LIKE '%,alerts,%'
        """,
    ),
    # 10: who closed a request (done / not possible), so that a team member's /mydata and
    # /forgetme find their name there too. Earlier rows only had the name: where it is the
    # claimer's, the claimer closed it; other closers stay unknown (their names stay in
    # closed_by_name until the request's retention ends).
    (
        "ALTER TABLE advice_requests ADD COLUMN closed_by INTEGER",
        """
        UPDATE advice_requests SET closed_by = claimed_by
        WHERE closed_by_name IS NOT NULL AND closed_by_name = claimed_by_name
        """,
        "CREATE INDEX advice_requests_claimed_by ON advice_requests (claimed_by)",
        "CREATE INDEX advice_requests_closed_by ON advice_requests (closed_by)",
    ),
    # 11: request limits that survive /forgetme without a user id in clear: one mark per request
    # with a keyed hash (HMAC) of the user id, deleted after the limit window; the key is made
    # on first use and never leaves the database. And when the admins last heard that a
    # municipality reached its hourly or daily cap.
    (
        """
        CREATE TABLE deployment_keys (
            name       TEXT PRIMARY KEY,
            value      BLOB NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE advice_limit_marks (
            subject    TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX advice_limit_marks_subject ON advice_limit_marks (subject, created_at)",
        """
        CREATE TABLE advice_cap_notices (
            municipality TEXT NOT NULL,
            period       TEXT NOT NULL CHECK (period IN ('hour', 'day')),
            noticed_at   TEXT NOT NULL,
            PRIMARY KEY (municipality, period)
        )
        """,
    ),
    # 12: what operators see: the bot's run record (last start, heartbeat, version) and the health
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
    # 13: sharing and feedback. A chat may subscribe as a WhatsApp group coordinator (the share
    # button on every message). Votes and shares are stored by message key and municipality;
    # `chat_hash` is a keyed hash of (chat id, message key) with a deployment key (step 11),
    # kept only so that a chat votes once and may change its vote; it is set to NULL when the
    # vote closes, on /stop and on /forgetme, which leaves an anonymous count.
    (
        "ALTER TABLE chats ADD COLUMN coordinator INTEGER NOT NULL DEFAULT 0 "
        "CHECK (coordinator IN (0, 1))",
        """
        CREATE TABLE feedback (
            id            INTEGER PRIMARY KEY,
            kind          TEXT NOT NULL CHECK (kind IN ('vote', 'share')),
            broadcast_key TEXT NOT NULL REFERENCES broadcasts (key) ON DELETE CASCADE,
            municipality  TEXT NOT NULL,
            value         INTEGER NOT NULL CHECK (value IN (-1, 1)),
            chat_hash     TEXT UNIQUE
        )
        """,
        "CREATE INDEX feedback_broadcast ON feedback (broadcast_key)",
        # Calendar entries whose messages carry no buttons (an admin's choice, audit-logged).
        """
        CREATE TABLE feedback_off (
            entry_id   TEXT PRIMARY KEY,
            created_by INTEGER,
            created_at TEXT NOT NULL
        )
        """,
    ),
    # 14: the advice journey. Why a request's personal fields were erased (the resident asked,
    # or retention), so the team message says the right thing. The visit: the appointment the
    # day-before reminder was sent for, when the resident said the planned moment does not suit
    # them, and when the resident was told the advice is done (after the team's undo window;
    # requests done before were told at once). And the messages relayed between a team and a
    # resident: which bot message in which chat belongs to which request, never the text (the
    # text is in the two Telegram chats only). No reference to chats: a team group that becomes
    # a supergroup cannot edit its old messages anyway, and the rows go with the request's
    # personal fields.
    (
        "ALTER TABLE advice_requests ADD COLUMN erased_reason TEXT "
        "CHECK (erased_reason IN ('resident', 'retention'))",
        "UPDATE advice_requests SET erased_reason = 'resident' "
        "WHERE erased_at IS NOT NULL AND status = 'withdrawn'",
        "ALTER TABLE advice_requests ADD COLUMN reminded_for TEXT",
        "ALTER TABLE advice_requests ADD COLUMN declined_at TEXT",
        "ALTER TABLE advice_requests ADD COLUMN done_told_at TEXT",
        "UPDATE advice_requests SET done_told_at = closed_at WHERE status = 'done'",
        """
        CREATE TABLE advice_messages (
            id         INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES advice_requests (id) ON DELETE CASCADE,
            direction  TEXT NOT NULL CHECK (direction IN ('to_team', 'to_resident')),
            chat_id    INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            sent_at    TEXT NOT NULL,
            UNIQUE (chat_id, message_id)
        )
        """,
        "CREATE INDEX advice_messages_request ON advice_messages (request_id)",
    ),
    # 15: the advisers' dashboard: one-time login codes (hashes, like the invites), sessions
    # (hashes of their ids) and campaign drafts written in the dashboard.
    (
        """
        CREATE TABLE dashboard_login_codes (
            code_hash  TEXT PRIMARY KEY,
            user_id    INTEGER NOT NULL,
            created_by INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at    TEXT,
            used_by    INTEGER
        )
        """,
        """
        CREATE TABLE dashboard_sessions (
            id_hash    TEXT PRIMARY KEY,
            user_id    INTEGER NOT NULL,
            locale     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id)",
        """
        CREATE TABLE campaign_drafts (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            author_id  INTEGER NOT NULL,
            texts      TEXT NOT NULL,
            image      TEXT,
            audience   TEXT NOT NULL,
            due_at     TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
    ),
]
