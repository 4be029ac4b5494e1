-- The per-kind statements go back to relais_store::search (a transaction per kind).
DROP FUNCTION relais_autocomplete_hits(uuid, text, text, boolean, integer, integer, uuid, uuid);
DROP FUNCTION relais_search_hits(uuid, text, text, boolean, integer, integer, uuid, uuid, text[],
                                 text[], text, timestamptz, timestamptz, text);
