-- Product imports go away with the kind and the key they used.
DELETE FROM imports WHERE kind = 'products' OR upsert_key = 'code';

ALTER TABLE imports DROP CONSTRAINT imports_upsert_key_check;
ALTER TABLE imports ADD CONSTRAINT imports_upsert_key_check
    CHECK (upsert_key IN ('none', 'name', 'email'));

ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check
    CHECK (kind IN ('organisations', 'people'));
