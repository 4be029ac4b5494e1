-- Products become importable (kind `products`), matched by their code (upsert key `code`).
-- Export jobs need no table of their own: they are rows of `jobs` (kind `export`), their
-- files live under <data_dir>/<tenant>/exports/<job id>/.

ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check
    CHECK (kind IN ('organisations', 'people', 'products'));

ALTER TABLE imports DROP CONSTRAINT imports_upsert_key_check;
ALTER TABLE imports ADD CONSTRAINT imports_upsert_key_check
    CHECK (upsert_key IN ('none', 'name', 'email', 'code'));
