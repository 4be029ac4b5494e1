-- Back to the planner's choice for the mandates' and interactions' candidate look-ups.

SET LOCAL search_path = public, extensions;

ALTER FUNCTION relais_search_mandate_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery)
    RESET enable_seqscan;
ALTER FUNCTION relais_search_interaction_ids(text, boolean, integer, uuid, uuid, text[], text[],
    text, timestamptz, timestamptz, uuid, tsquery, text, text, text, integer, text, tsquery)
    RESET enable_seqscan;
