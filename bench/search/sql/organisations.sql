-- Organisations $2..=$3 of tenant $1, owned by the users in $4. Deterministic: the same
-- numbers give the same rows (ids are md5(tenant:org:n)).
INSERT INTO organisations (tenant_id, id, name, type, category, pipeline_stage, email, city,
                           postcode, country, notes, owner_id, created_at, updated_at)
SELECT $1::uuid, s.id, s.name, s.type, s.category, s.stage,
       CASE WHEN s.h5 % 10 < 7
            THEN 'contact@' || replace(relais_search_norm(s.name), ' ', '-') || '.fr' END,
       s.city, s.postcode, 'FR', s.notes, s.owner, s.created, s.created
FROM (
    SELECT md5($1::text || ':org:' || g.i)::uuid AS id,
           CASE h.h1 % 12
               WHEN 0 THEN 'Cabinet ' || l.last
               WHEN 1 THEN l.last || ' & Associés'
               WHEN 2 THEN l.last || ' Gestion Privée'
               WHEN 3 THEN 'Groupe ' || l.last
               WHEN 4 THEN w.word || ' Capital'
               WHEN 5 THEN w.word || ' Patrimoine ' || c.city
               WHEN 6 THEN 'Banque ' || w.word || ' ' || c.city
               WHEN 7 THEN 'SCPI ' || w.word || ' ' || (10 + h.h4 % 90)
               WHEN 8 THEN w.word || ' Asset Management'
               WHEN 9 THEN l.last || ' Finance ' || p.forms[1 + h.h4 % cardinality(p.forms)]
               WHEN 10 THEN 'Société ' || w.word || ' de Gestion'
               ELSE l.last || ' et Fils ' || p.forms[1 + h.h4 % cardinality(p.forms)]
           END AS name,
           (ARRAY['investor','supplier','distributor','issuer'])[1 + h.h2 % 4] AS type,
           (ARRAY['opcvm','etf','scpi','sci','life_insurance','private_equity','other',NULL])
               [1 + h.h3 % 8] AS category,
           (ARRAY['prospect','qualification','proposition','signed','lost'])[1 + h.h4 % 5]
               AS stage,
           c.city,
           p.postcodes[1 + h.h6 % cardinality(p.postcodes)] AS postcode,
           CASE WHEN h.h5 % 5 < 3
                THEN p.notes[1 + h.h6 % cardinality(p.notes)] || ' '
                     || p.notes[1 + (h.h6 + 1 + h.h7 % (cardinality(p.notes) - 1)) % cardinality(p.notes)] END AS notes,
           ($4::uuid[])[1 + h.h7 % cardinality($4::uuid[])] AS owner,
           now() - make_interval(days => (h.h2 % 3650)::int, secs => (h.h3 % 86400)::int)
               AS created,
           h.h5
    FROM generate_series($2::bigint, $3::bigint) AS g(i)
    CROSS JOIN p
    CROSS JOIN LATERAL (
        SELECT abs(hashint8extended(g.i, 1)) AS h1, abs(hashint8extended(g.i, 2)) AS h2,
               abs(hashint8extended(g.i, 3)) AS h3, abs(hashint8extended(g.i, 4)) AS h4,
               abs(hashint8extended(g.i, 5)) AS h5, abs(hashint8extended(g.i, 6)) AS h6,
               abs(hashint8extended(g.i, 7)) AS h7, abs(hashint8extended(g.i, 8)) AS h8
    ) h
    CROSS JOIN LATERAL (
        SELECT CASE WHEN h.h8 % 2 = 0
                    THEN p.syl1[1 + h.h2 % cardinality(p.syl1)]
                         || p.syl2[1 + h.h3 % cardinality(p.syl2)]
                         || p.syl3[1 + h.h4 % cardinality(p.syl3)]
                    ELSE p.last_names[1 + h.h2 % cardinality(p.last_names)] END AS last
    ) l
    CROSS JOIN LATERAL (SELECT p.words[1 + h.h3 % cardinality(p.words)] AS word) w
    CROSS JOIN LATERAL (SELECT p.cities[1 + h.h5 % cardinality(p.cities)] AS city) c
) s
