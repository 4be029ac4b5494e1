-- Interactions $2..=$3 of tenant $1 with organisations among the first $5, by users in $4.
INSERT INTO interactions (tenant_id, id, kind, occurred_at, author_id, summary,
                          organisation_id, created_at, updated_at)
SELECT $1::uuid, md5($1::text || ':interaction:' || g.i)::uuid,
       (ARRAY['call','meeting','email','note'])[1 + h.h1 % 4],
       now() - make_interval(days => (h.h2 % 1500)::int),
       ($4::uuid[])[1 + h.h3 % cardinality($4::uuid[])],
       p.notes[1 + h.h4 % cardinality(p.notes)] || ' '
           || p.notes[1 + (h.h4 + 1 + h.h5 % (cardinality(p.notes) - 1)) % cardinality(p.notes)],
       md5($1::text || ':org:' || (1 + h.h6 % $5::bigint))::uuid,
       now() - make_interval(days => (h.h2 % 1500)::int),
       now() - make_interval(days => (h.h2 % 1500)::int)
FROM generate_series($2::bigint, $3::bigint) AS g(i)
CROSS JOIN p
CROSS JOIN LATERAL (
    SELECT abs(hashint8extended(g.i, 31)) AS h1, abs(hashint8extended(g.i, 32)) AS h2,
           abs(hashint8extended(g.i, 33)) AS h3, abs(hashint8extended(g.i, 34)) AS h4,
           abs(hashint8extended(g.i, 35)) AS h5, abs(hashint8extended(g.i, 36)) AS h6
) h
