-- Mandates $2..=$3 of tenant $1 with organisations among the first $5, owned by users in $4.
INSERT INTO mandates (tenant_id, id, number, organisation_id, status, owner_id, notes,
                      created_at, updated_at)
SELECT $1::uuid, md5($1::text || ':mandate:' || g.i)::uuid,
       'M-' || (2015 + h.h1 % 11) || '-' || lpad(g.i::text, 6, '0'),
       md5($1::text || ':org:' || (1 + h.h2 % $5::bigint))::uuid,
       (ARRAY['draft','proposed','signed','active','terminated'])[1 + h.h3 % 5],
       ($4::uuid[])[1 + h.h4 % cardinality($4::uuid[])],
       CASE WHEN h.h5 % 2 = 0 THEN p.notes[1 + h.h6 % cardinality(p.notes)] END,
       now() - make_interval(days => (h.h1 % 3650)::int),
       now() - make_interval(days => (h.h1 % 3650)::int)
FROM generate_series($2::bigint, $3::bigint) AS g(i)
CROSS JOIN p
CROSS JOIN LATERAL (
    SELECT abs(hashint8extended(g.i, 21)) AS h1, abs(hashint8extended(g.i, 22)) AS h2,
           abs(hashint8extended(g.i, 23)) AS h3, abs(hashint8extended(g.i, 24)) AS h4,
           abs(hashint8extended(g.i, 25)) AS h5, abs(hashint8extended(g.i, 26)) AS h6
) h
