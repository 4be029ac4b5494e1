-- Search (SPEC SRCH-1…4): French full-text search that ignores accents, typo-tolerant and
-- prefix matching on names, all maintained by the database itself (generated columns and
-- indexes), so a record is findable by the statement after the one that wrote it.
--
-- unaccent and pg_trgm ship with postgresql-contrib and are "trusted" extensions since
-- PostgreSQL 13: the database owner (the migration role, not a superuser) may create them.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- French stemming after removing accents: "Société Générale" and "societe generale" give the
-- same lexemes. The stock `french` configuration keeps accents, so words with accents
-- (token types word, hword, hword_part) go through unaccent before the stemmer.
CREATE TEXT SEARCH CONFIGURATION relais_french (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION relais_french
    ALTER MAPPING FOR word, hword, hword_part WITH public.unaccent, pg_catalog.french_stem;

-- unaccent() is only STABLE (it looks its dictionary up by name), so it cannot appear in an
-- index or a generated column. These wrappers name the dictionary by schema and are IMMUTABLE,
-- which is true as long as nobody edits the unaccent rules file.
--
-- The form names are compared in for trigram (typo) and prefix matching: no accents, lower
-- case, every run of punctuation or spaces made one space ("L'Oréal-Gestion" → "l oreal gestion").
CREATE FUNCTION relais_search_norm(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, t)),
                                '[^[:alnum:]]+', ' ', 'g'));

-- Tags as text for the search vector (array_to_string is only STABLE in general; for text[]
-- it is immutable).
CREATE FUNCTION relais_search_tags(tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_string(tags, ' ');

-- An email as searchable text: the address itself (one lexeme) and its parts, so that
-- "sgg" or "sgg.fr" find "contact@sgg.fr".
CREATE FUNCTION relais_search_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN email || ' ' || translate(email, '@.', '  ');

-- Weights: A = names, B = emails and codes, C = notes, descriptions, places, tags.
ALTER TABLE organisations ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig, name), 'A')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(relais_search_email(email), '') || ' '
                             || coalesce(website, '')), 'B')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(city, '') || ' ' || coalesce(address, '') || ' '
                             || coalesce(postcode, '') || ' ' || relais_search_tags(tags) || ' '
                             || coalesce(notes, '')), 'C')
) STORED;

ALTER TABLE people ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig,
                          coalesce(first_name, '') || ' ' || last_name), 'A')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(relais_search_email(email), '')), 'B')
    || setweight(to_tsvector('relais_french'::regconfig,
                             coalesce(job_title, '') || ' ' || relais_search_tags(tags) || ' '
                             || coalesce(notes, '')), 'C')
) STORED;

ALTER TABLE mandates ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig, number), 'B')
    || setweight(to_tsvector('relais_french'::regconfig, coalesce(notes, '')), 'C')
) STORED;

ALTER TABLE interactions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('relais_french'::regconfig, summary), 'C')
) STORED;

-- Full-text indexes. Search never returns records in the trash, so the indexes leave them out.
CREATE INDEX organisations_search_idx ON organisations USING gin (search_vector)
    WHERE deleted_at IS NULL;
CREATE INDEX people_search_idx ON people USING gin (search_vector)
    WHERE deleted_at IS NULL;
CREATE INDEX mandates_search_idx ON mandates USING gin (search_vector)
    WHERE deleted_at IS NULL;
CREATE INDEX interactions_search_idx ON interactions USING gin (search_vector)
    WHERE deleted_at IS NULL;

-- Trigram indexes for typos ("Dupond" finds "Dupont") and word prefixes inside names
-- ("gen" finds "Société Générale"), on the normalised names and on emails.
CREATE INDEX organisations_name_trgm_idx ON organisations
    USING gin (relais_search_norm(name) gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX organisations_email_trgm_idx ON organisations
    USING gin (lower(email) gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX people_name_trgm_idx ON people
    USING gin (relais_search_norm(coalesce(first_name, '') || ' ' || last_name) gin_trgm_ops)
    WHERE deleted_at IS NULL;
CREATE INDEX people_email_trgm_idx ON people
    USING gin (email gin_trgm_ops) WHERE deleted_at IS NULL;

-- "The name starts with …" for the shortest autocomplete prefixes (1–2 letters), where
-- trigrams cannot help: a B-tree range scan in byte order, already sorted.
CREATE INDEX organisations_name_prefix_idx ON organisations
    (tenant_id, (relais_search_norm(name)) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX people_last_name_prefix_idx ON people
    (tenant_id, (relais_search_norm(last_name)) COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX people_first_name_prefix_idx ON people
    (tenant_id, (relais_search_norm(coalesce(first_name, '') || ' ' || last_name)) COLLATE "C")
    WHERE deleted_at IS NULL;
CREATE INDEX mandates_number_prefix_idx ON mandates (tenant_id, (number COLLATE "C"))
    WHERE deleted_at IS NULL;
