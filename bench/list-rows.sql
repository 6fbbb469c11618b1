-- The listing benchmark's table: :rows gazettes over the 30 territories of
-- the corpus (psql -v rows=N -f bench/list-rows.sql), a third processed.
-- Used by run.sh (paging, gz-list against psql \copy) and list-copy.sh.
SET client_min_messages = warning;
DROP TABLE IF EXISTS gz_claims, gz_claim_history;
TRUNCATE gazettes;
INSERT INTO gazettes (id, date, edition_number, is_extra_edition, power,
	file_checksum, file_path, file_url, scraped_at, created_at, territory_id, processed)
SELECT i, date '2015-01-01' + (i % 3650), (i % 5000)::text, i % 13 = 0,
	'executive', md5(i::text), t.id || '/' || (date '2015-01-01' + (i % 3650)) || '/' || md5(i::text) || '.pdf',
	'https://example.org/diarios/' || i || '.pdf', timestamp '2024-06-01' - i * interval '1 minute',
	timestamp '2024-06-01' - i * interval '1 minute', t.id, i % 3 = 0
FROM generate_series(1, :rows) i
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM territories) t ON t.k = i % 30;
VACUUM ANALYZE gazettes;
