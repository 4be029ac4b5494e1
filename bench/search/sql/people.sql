-- People $2..=$3 of tenant $1, owned by the users in $4.
INSERT INTO people (tenant_id, id, first_name, last_name, email, job_title, notes, owner_id,
                    created_at, updated_at)
SELECT $1::uuid, s.id, s.first_name, s.last_name,
       CASE WHEN s.h5 % 10 < 8
            THEN replace(relais_search_norm(coalesce(s.first_name, '') || ' ' || s.last_name),
                         ' ', '.')
                 || (s.h6 % 100) || '@' || s.domain END,
       s.job_title, s.notes, s.owner, s.created, s.created
FROM (
    SELECT md5($1::text || ':person:' || g.i)::uuid AS id,
           CASE WHEN h.h9 % 20 <> 0 THEN p.first_names[1 + h.h1 % cardinality(p.first_names)]
           END AS first_name,
           CASE WHEN h.h8 % 2 = 0
                THEN p.syl1[1 + h.h2 % cardinality(p.syl1)]
                     || p.syl2[1 + h.h3 % cardinality(p.syl2)]
                     || p.syl3[1 + h.h4 % cardinality(p.syl3)]
                ELSE p.last_names[1 + h.h2 % cardinality(p.last_names)] END AS last_name,
           p.domains[1 + h.h7 % cardinality(p.domains)] AS domain,
           CASE WHEN h.h4 % 10 < 7 THEN p.job_titles[1 + h.h5 % cardinality(p.job_titles)]
           END AS job_title,
           CASE WHEN h.h6 % 5 < 2 THEN p.notes[1 + h.h3 % cardinality(p.notes)] END AS notes,
           ($4::uuid[])[1 + h.h7 % cardinality($4::uuid[])] AS owner,
           now() - make_interval(days => (h.h2 % 3650)::int, secs => (h.h3 % 86400)::int)
               AS created,
           h.h5, h.h6
    FROM generate_series($2::bigint, $3::bigint) AS g(i)
    CROSS JOIN p
    CROSS JOIN LATERAL (
        SELECT abs(hashint8extended(g.i, 11)) AS h1, abs(hashint8extended(g.i, 12)) AS h2,
               abs(hashint8extended(g.i, 13)) AS h3, abs(hashint8extended(g.i, 14)) AS h4,
               abs(hashint8extended(g.i, 15)) AS h5, abs(hashint8extended(g.i, 16)) AS h6,
               abs(hashint8extended(g.i, 17)) AS h7, abs(hashint8extended(g.i, 18)) AS h8,
               abs(hashint8extended(g.i, 19)) AS h9
    ) h
) s
