-- Agents report themselves through Redis heartbeats (control lists them from there); the
-- Postgres copy of them was never written outside its own tests. Enrolled agent identities
-- (access-control issue) will get a table shaped for them.
DROP TABLE IF EXISTS agents;
