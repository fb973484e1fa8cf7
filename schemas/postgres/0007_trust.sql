-- Node-to-node trust (A-05) and national revocation orders (A-04).
--
-- `node_key` holds this node's Ed25519 report-signing key (PKCS#8), made once by the
-- writer together with the NodeKeyCreated event (which logs only the public key).
-- Registered keys are not copied into a table: the newest ChildKeyRegistered event of
-- a child is its key, the newest NationalKeyRegistered the national tier's, found
-- through the partial indexes below.
CREATE TABLE node_key (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pkcs8      bytea NOT NULL,
    public_key text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX events_child_keys_idx ON events (((payload -> 'data') ->> 'child'), position)
    WHERE kind = 'ChildKeyRegistered';
-- The national key (orders are signed with it, A-04): the newest NationalKeyRegistered.
CREATE INDEX events_national_key_idx ON events (position)
    WHERE kind = 'NationalKeyRegistered';

-- National: revocation orders (AccountRevocationOrdered events) JetStream has stored.
-- An order without a row here is (re)sent by the order relay.
CREATE INDEX events_revocation_orders_idx ON events (position)
    WHERE kind = 'AccountRevocationOrdered';
CREATE TABLE orders_sent (
    order_id     uuid PRIMARY KEY,
    published_at timestamptz NOT NULL DEFAULT now()
);
