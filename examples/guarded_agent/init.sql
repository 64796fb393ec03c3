-- The example agent's database: a few tables, some sensitive, and a read-only role for the agent.
-- Run as a superuser on a fresh database (the test and README do: psql -f init.sql).
CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL, plan text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users(id), total numeric(10,2), status text);
CREATE TABLE api_keys (id serial PRIMARY KEY, user_id int REFERENCES users(id), api_key text NOT NULL);

INSERT INTO users (name, email, plan) VALUES
  ('Ada', 'ada@example.com', 'pro'), ('Grace', 'grace@example.com', 'free'), ('Linus', 'linus@example.com', 'pro');
INSERT INTO orders (user_id, total, status) VALUES (1, 120.00, 'paid'), (1, 30.50, 'open'), (3, 99.90, 'paid');
INSERT INTO api_keys (user_id, api_key) VALUES (1, 'sk_live_aaaaaaaaaaaaaaaaaaaaaaaa');

-- Least privilege (seed 002): the agent's connection can read, and nothing else, even if every
-- check in front of it were bypassed.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agent_ro') THEN
    CREATE ROLE agent_ro LOGIN;
  END IF;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM agent_ro;
GRANT USAGE ON SCHEMA public TO agent_ro;
GRANT SELECT ON users, orders TO agent_ro;
ALTER ROLE agent_ro SET default_transaction_read_only = on;
