-- Data for the report timings in docs/reports.md: one campaign of 100,000 leads (every fifth
-- with a second, landline number) and 1,000,000 finished attempts over 20 days, a third of
-- the connected ones with a sale. Load into an empty database migrated to 0005:
--   psql -d DB -f bench/reports_data.sql
-- then time e.g.  SELECT count(*) FROM report_no_answer_by_day('big', NULL, NULL);
--            and  SELECT count(*) FROM report_no_answer_by_day('big', '2026-11-10', '2026-11-12');
INSERT INTO campaigns (name) VALUES ('big');
INSERT INTO leads (campaign_id, name, time_zone)
SELECT (SELECT id FROM campaigns WHERE name = 'big'), 'x',
       CASE WHEN g % 3 = 0 THEN 'America/New_York' ELSE 'Europe/Kyiv' END
FROM generate_series(1, 100000) g;
INSERT INTO lead_phones (lead_id, number, phone_type, position)
SELECT id, '+38050' || lpad(id::text, 7, '0'),
       CASE WHEN id % 4 = 0 THEN 'landline' ELSE 'mobile' END, 0
FROM leads;
INSERT INTO lead_phones (lead_id, number, phone_type, position)
SELECT id, '+38044' || lpad(id::text, 7, '0'), 'landline', 1 FROM leads WHERE id % 5 = 0;
INSERT INTO call_attempts (attempt_id, campaign_id, lead_id, phone_id, number, attempt_number,
                           node, created_at, ended_at, outcome, agent, talk_s, answered_at)
SELECT gen_random_uuid(), l.campaign_id, p.lead_id, p.id, p.number, n, 'n', t,
       t + interval '30 s', o,
       CASE WHEN o = 'connected' THEN 'agent' || (p.id % 20) END,
       CASE WHEN o = 'connected' THEN 60 END,
       CASE WHEN o IN ('connected', 'abandoned') THEN t END
FROM lead_phones p
JOIN leads l ON l.id = p.lead_id
CROSS JOIN generate_series(1, 10) n
CROSS JOIN LATERAL (
    SELECT timestamptz '2026-11-01 06:00+00' + n * interval '2 day'
               + ((p.id * 7919) % 43200) * interval '1 s' AS t,
           (ARRAY['no_answer', 'no_answer', 'no_answer', 'busy', 'connected', 'abandoned',
                  'no_answer', 'congestion', 'machine', 'no_answer'])[1 + (p.id + n) % 10] AS o
) x
WHERE p.position = 0;
INSERT INTO dispositions (attempt_id, disposition, source)
SELECT attempt_id, 'sale', 'cli' FROM call_attempts
WHERE outcome = 'connected' AND lead_id % 3 = 0;
ANALYZE call_attempts;
ANALYZE leads;
ANALYZE lead_phones;
ANALYZE dispositions;
