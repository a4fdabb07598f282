-- The write limit ([notices] writes_per_minute) counts an operator's
-- notice writes (new, changed, ended) in the last minute through every
-- node, from the audit log (docs/scaling.md): looked up by operator and
-- instant.
CREATE INDEX audit_operator_at ON audit (operator, at);
