-- The table Asterisk's cdr_pgsql writes CDRs into (config/asterisk/cdr_pgsql.conf).
-- `dialerd migrate` creates it in the dialer's database (revision 0011); run this file only
-- in a database of its own for the CDRs (docs/operations.md, "Asterisk's CDRs in PostgreSQL"):
--     psql -d asterisk_cdrs -f asterisk_cdr.sql
-- cdr_pgsql fills every column named like a CDR variable; times are UTC (timezone=UTC).
CREATE TABLE IF NOT EXISTS asterisk_cdr (
    id bigserial PRIMARY KEY,
    start timestamp,
    answer timestamp,
    "end" timestamp,
    clid text NOT NULL DEFAULT '',
    src text NOT NULL DEFAULT '',
    dst text NOT NULL DEFAULT '',
    dcontext text NOT NULL DEFAULT '',
    channel text NOT NULL DEFAULT '',
    dstchannel text NOT NULL DEFAULT '',
    lastapp text NOT NULL DEFAULT '',
    lastdata text NOT NULL DEFAULT '',
    duration integer NOT NULL DEFAULT 0,
    billsec integer NOT NULL DEFAULT 0,
    disposition text NOT NULL DEFAULT '',
    amaflags integer NOT NULL DEFAULT 0,
    accountcode text NOT NULL DEFAULT '',
    uniqueid text NOT NULL DEFAULT '',
    userfield text NOT NULL DEFAULT '',
    linkedid text NOT NULL DEFAULT '',
    peeraccount text NOT NULL DEFAULT '',
    sequence integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_asterisk_cdr_uniqueid ON asterisk_cdr (uniqueid);
