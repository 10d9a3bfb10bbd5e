-- Settings of the extension.  Only values a superuser has set are stored;
-- every setting has a built-in default (see functions/config.sql), so the
-- table is dumped whole and an upgrade never has to merge seeded rows.

CREATE TABLE @extschema@.config (
    name   text NOT NULL,
    value  text NOT NULL,
    CONSTRAINT config_name_pkey PRIMARY KEY (name)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.config', '');

COMMENT ON TABLE @extschema@.config IS 'settings changed from their defaults; see config_show()';
