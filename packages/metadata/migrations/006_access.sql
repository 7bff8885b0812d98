-- Who may do what (access-control issue). Users and their roles, API tokens and console
-- sessions stored only as hashes, the append-only audit log, four-eyes approvals of
-- launches and schedules in protected environments, enrolled agent identities, and
-- environment secrets (ciphertext only; the key derives from control's master secret).

CREATE TABLE users (
  id              text PRIMARY KEY,
  name            text NOT NULL UNIQUE,
  role            text NOT NULL CHECK (role IN ('viewer', 'author', 'operator', 'admin')),
  -- an operator's environments ('*': every one); unused by other roles
  environments    text[] NOT NULL DEFAULT '{}',
  -- scrypt; null: the user signs in through single sign-on only
  password_hash   text,
  source          text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'oidc')),
  -- single sign-on identity: issuer and subject
  subject         text UNIQUE,
  disabled        boolean NOT NULL DEFAULT false,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz(3)
);

CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  -- SHA-256 of the token: the token itself is shown once and never stored
  hash         text NOT NULL UNIQUE,
  name         text NOT NULL,
  user_id      text REFERENCES users (id),
  role         text NOT NULL CHECK (role IN ('viewer', 'author', 'operator', 'admin', 'agent')),
  environments text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  expires_at   timestamptz(3),
  last_used_at timestamptz(3),
  revoked_at   timestamptz(3)
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at DESC);

CREATE TABLE sessions (
  -- SHA-256 of the session cookie's value
  hash         text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf         text NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  last_seen_at timestamptz(3) NOT NULL DEFAULT now(),
  expires_at   timestamptz(3) NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Single sign-on logins under way: the state sent to the provider, with the PKCE verifier
-- and nonce that check its answer. Gone once used or after ten minutes.
CREATE TABLE oidc_logins (
  state_hash text PRIMARY KEY,
  verifier   text NOT NULL,
  nonce      text NOT NULL,
  return_to  text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
  -- time-sortable (newId('aud')): pages order by it
  id         text PRIMARY KEY,
  at         timestamptz(3) NOT NULL DEFAULT now(),
  actor      text NOT NULL,
  actor_kind text NOT NULL
               CHECK (actor_kind IN ('user', 'token', 'agent', 'service', 'anonymous', 'system')),
  source     text NOT NULL,
  action     text NOT NULL,
  target     text,
  outcome    text NOT NULL CHECK (outcome IN ('ok', 'denied', 'invalid', 'failed')),
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_by_actor ON audit_events (actor, id DESC);
CREATE INDEX audit_events_by_action ON audit_events (action, id DESC);

-- Append-only: nothing edits or deletes the audit log, not even control itself.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = '42501';
END
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

ALTER TABLE environments ADD COLUMN protected boolean NOT NULL DEFAULT false;

ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN (
  'awaiting-approval', 'queued', 'waiting-for-agents', 'running',
  'passed', 'failed', 'aborted', 'degraded', 'error'));
ALTER TABLE runs ADD COLUMN launched_by text;
ALTER TABLE schedules ADD COLUMN created_by text;

-- One approval per run or schedule that needed one. The requester and the decider are
-- recorded as users (a token acts for its owner), so nobody approves their own request.
CREATE TABLE approvals (
  subject_kind      text NOT NULL CHECK (subject_kind IN ('run', 'schedule')),
  subject_id        text NOT NULL,
  state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'approved', 'refused', 'expired')),
  requested_by      text NOT NULL,
  requester_user_id text,
  requested_at      timestamptz(3) NOT NULL DEFAULT now(),
  expires_at        timestamptz(3) NOT NULL,
  decided_by        text,
  decider_user_id   text,
  decided_at        timestamptz(3),
  reason            text,
  PRIMARY KEY (subject_kind, subject_id)
);
CREATE INDEX approvals_pending ON approvals (expires_at) WHERE state = 'pending';

-- Enrolled load generators. Each enrollment has its own nonce: the agent's message key is
-- derived from the master secret and it, so re-enrolling or revoking retires the old key.
CREATE TABLE agents (
  id          text PRIMARY KEY,
  enrollment  text NOT NULL,
  host        text NOT NULL,
  version     text NOT NULL,
  token_id    text REFERENCES api_tokens (id),
  enrolled_by text,
  enrolled_at timestamptz(3) NOT NULL DEFAULT now(),
  revoked_at  timestamptz(3)
);

CREATE TABLE environment_secrets (
  environment text NOT NULL REFERENCES environments (name) ON DELETE CASCADE,
  name        text NOT NULL,
  -- AES-256-GCM, associated data "<environment>/<name>"
  sealed      text NOT NULL,
  updated_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_by  text,
  PRIMARY KEY (environment, name)
);
