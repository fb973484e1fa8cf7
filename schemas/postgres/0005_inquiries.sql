-- Inquiries and their answers (照会・回答). R: Q-01..Q-06.
--
-- A projection of the Inquiry* events (rebuilt with the private area): one row per
-- inquiry, `data` the folded InquiryState — the inquiry as registered, the
-- identification, and the answer exactly as disclosed (Q-06) or the refusal. The
-- answer copies themselves are the InquiryAnswered events of the log.

CREATE TABLE inquiries (
    inquiry_id     uuid PRIMARY KEY,
    incident_id    uuid,
    status         text NOT NULL,
    registered_at  timestamptz NOT NULL,
    inquired_at    timestamptz NOT NULL,
    channel        text NOT NULL,
    relationship   text NOT NULL,
    inquirer_name  text NOT NULL,
    target_name    text NOT NULL,
    record_id      uuid,
    answered_at    timestamptz,
    last_position  bigint NOT NULL,
    data           jsonb NOT NULL
);

CREATE INDEX inquiries_registered_idx ON inquiries (registered_at);
