/// The indexer's schema, as versioned migrations run in order at start (each in one transaction,
/// under an advisory lock, recorded in `citychain.schema_migrations`). Never edit a released
/// migration: add the next one. docs/INDEX.md describes the tables.
package enum Migrations {
    package struct Migration: Sendable {
        package var version: Int
        package var description: String
        /// Statements, run one at a time (the extended protocol takes one per query).
        package var statements: [String]
    }

    /// Tables the chain rebuilds (everything but the audit trail, which only the indexer holds).
    package static let chainTables = ["blocks", "transactions", "agencies", "datasets", "grants"]

    package static let all: [Migration] = [
        Migration(version: 1, description: "chain index: head, blocks, transactions, record views, agencies, datasets, grants, disclosures", statements: [
            """
            CREATE TABLE citychain.index_head (
                id int PRIMARY KEY CHECK (id = 1),
                chain_id text NOT NULL,
                genesis_hash bytea NOT NULL,
                height bigint NOT NULL,
                block_hash bytea NOT NULL,
                tracker bytea NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE citychain.blocks (
                height bigint PRIMARY KEY,
                hash bytea NOT NULL UNIQUE,
                previous_hash bytea NOT NULL,
                time_ms bigint NOT NULL,
                tx_count int NOT NULL,
                header bytea NOT NULL,
                certificate bytea NOT NULL,
                evidence bytea NOT NULL,
                leaf_hashes bytea NOT NULL)
            """,
            """
            CREATE TABLE citychain.transactions (
                id bytea PRIMARY KEY,
                height bigint NOT NULL,
                idx int NOT NULL,
                time_ms bigint NOT NULL,
                signer_agency text NOT NULL,
                signer_key bigint NOT NULL,
                operation text NOT NULL,
                dataset text,
                subject text,
                version bigint,
                deleted boolean NOT NULL,
                payload_hash bytea,
                payload_json jsonb,
                tx bytea NOT NULL,
                UNIQUE (height, idx))
            """,
            "CREATE UNIQUE INDEX transactions_record_version ON citychain.transactions (dataset, subject, version) WHERE version IS NOT NULL",
            "CREATE INDEX transactions_dataset_order ON citychain.transactions (dataset, height, idx)",
            "CREATE INDEX transactions_payload ON citychain.transactions USING gin (payload_json jsonb_path_ops)",
            """
            CREATE VIEW citychain.record_versions WITH (security_invoker = true) AS
                SELECT dataset, subject, version, deleted, height, idx, time_ms, signer_agency AS writer,
                       id AS transaction_id, payload_hash, payload_json
                FROM citychain.transactions WHERE version IS NOT NULL
            """,
            """
            CREATE VIEW citychain.records WITH (security_invoker = true) AS
                SELECT DISTINCT ON (dataset, subject) * FROM citychain.record_versions
                ORDER BY dataset, subject, version DESC
            """,
            """
            CREATE TABLE citychain.agencies (
                id text PRIMARY KEY,
                name text NOT NULL,
                is_admin boolean NOT NULL,
                registered_height bigint NOT NULL)
            """,
            """
            CREATE TABLE citychain.datasets (
                id text PRIMARY KEY,
                owner text NOT NULL,
                sensitivity text NOT NULL CHECK (sensitivity IN ('public', 'internal', 'restricted')),
                schema_name text NOT NULL,
                writers text[] NOT NULL,
                created_height bigint NOT NULL)
            """,
            """
            CREATE TABLE citychain.grants (
                dataset text NOT NULL,
                grantee text NOT NULL,
                expires_at_height bigint NOT NULL,
                purpose text NOT NULL,
                granted_height bigint NOT NULL,
                revoked_height bigint,
                PRIMARY KEY (dataset, grantee))
            """,
            """
            CREATE TABLE citychain.disclosures (
                sequence bigserial PRIMARY KEY,
                reader text NOT NULL,
                dataset text NOT NULL,
                subject text,
                time_ms bigint NOT NULL,
                purpose text NOT NULL,
                query_kind int NOT NULL,
                height bigint NOT NULL,
                anchor_first bigint,
                anchor_tx bytea,
                anchor_height bigint)
            """,
            "CREATE INDEX disclosures_subject ON citychain.disclosures (dataset, subject, sequence)",
            "CREATE INDEX disclosures_unanchored ON citychain.disclosures (sequence) WHERE anchor_first IS NULL",
        ]),
        Migration(version: 2, description: "analyst access: one read-only role per agency, row-level security that fails closed", statements: [
            "CREATE TABLE citychain.analyst_roles (role_name text PRIMARY KEY, agency text NOT NULL)",
            """
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'citychain_analyst') THEN
                    CREATE ROLE citychain_analyst NOLOGIN;
                END IF;
            -- Roles belong to the cluster, the migration lock to one database: two indexers migrating
            -- their own databases in one cluster at once both see no role and both create it.
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$
            """,
            // The agency an analyst role reads for; NULL (no rows anywhere) for every other role.
            """
            CREATE FUNCTION citychain.analyst_agency(role name) RETURNS text
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS $$ SELECT agency FROM citychain.analyst_roles WHERE role_name = role $$
            """,
            // The indexer's read rule (LedgerState.canRead) at the indexed height.
            """
            CREATE FUNCTION citychain.may_read(role name, ds text) RETURNS boolean
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS $$
                    SELECT EXISTS (
                        SELECT 1 FROM citychain.analyst_roles r JOIN citychain.datasets d ON d.id = ds
                        WHERE r.role_name = role AND (
                            d.sensitivity = 'public' OR d.owner = r.agency OR r.agency = ANY (d.writers)
                            OR EXISTS (SELECT 1 FROM citychain.grants g, citychain.index_head h
                                       WHERE g.dataset = ds AND g.grantee = r.agency AND g.revoked_height IS NULL
                                         AND g.expires_at_height >= h.height)))
                $$
            """,
            // Creates an analyst role by name (bound as a parameter, quoted here).
            """
            CREATE FUNCTION public.citychain_create_role(role text) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE citychain_analyst', role); END $$
            """,
            "REVOKE ALL ON FUNCTION public.citychain_create_role(text) FROM PUBLIC",
            "REVOKE ALL ON FUNCTION citychain.analyst_agency(name), citychain.may_read(name, text) FROM PUBLIC",
            "GRANT USAGE ON SCHEMA citychain TO citychain_analyst",
            "GRANT EXECUTE ON FUNCTION citychain.analyst_agency(name), citychain.may_read(name, text) TO citychain_analyst",
            """
            GRANT SELECT ON citychain.blocks, citychain.transactions, citychain.record_versions, citychain.records,
                citychain.agencies, citychain.datasets, citychain.grants, citychain.disclosures TO citychain_analyst
            """,
            """
            DO $$ DECLARE t text; BEGIN
                FOREACH t IN ARRAY ARRAY['blocks', 'transactions', 'agencies', 'datasets', 'grants', 'disclosures', 'analyst_roles', 'index_head'] LOOP
                    EXECUTE format('ALTER TABLE citychain.%I ENABLE ROW LEVEL SECURITY', t);
                    EXECUTE format('ALTER TABLE citychain.%I FORCE ROW LEVEL SECURITY', t);
                    EXECUTE format('CREATE POLICY indexer_writes ON citychain.%I TO %I USING (true) WITH CHECK (true)', t, current_user);
                END LOOP;
            END $$
            """,
            "CREATE POLICY analyst_reads ON citychain.blocks FOR SELECT TO citychain_analyst USING (citychain.analyst_agency(current_user) IS NOT NULL)",
            "CREATE POLICY analyst_reads ON citychain.agencies FOR SELECT TO citychain_analyst USING (citychain.analyst_agency(current_user) IS NOT NULL)",
            "CREATE POLICY analyst_reads ON citychain.datasets FOR SELECT TO citychain_analyst USING (citychain.analyst_agency(current_user) IS NOT NULL)",
            """
            CREATE POLICY analyst_reads ON citychain.transactions FOR SELECT TO citychain_analyst USING (
                CASE WHEN dataset IS NULL THEN citychain.analyst_agency(current_user) IS NOT NULL
                     ELSE citychain.may_read(current_user, dataset) END)
            """,
            """
            CREATE POLICY analyst_reads ON citychain.grants FOR SELECT TO citychain_analyst USING (
                grantee = citychain.analyst_agency(current_user)
                OR EXISTS (SELECT 1 FROM citychain.datasets d WHERE d.id = dataset AND d.owner = citychain.analyst_agency(current_user)))
            """,
            """
            CREATE POLICY analyst_reads ON citychain.disclosures FOR SELECT TO citychain_analyst USING (
                reader = citychain.analyst_agency(current_user)
                OR EXISTS (SELECT 1 FROM citychain.datasets d WHERE d.id = dataset AND d.owner = citychain.analyst_agency(current_user)))
            """,
        ]),
        // Version 3: shipped once as a second "version 2", which a database at version 2 skipped;
        // IF NOT EXISTS for the databases that did get it (created before the analyst migration).
        Migration(version: 3, description: "validator-set changes found without a scan (clients follow the sets from their trust anchor)", statements: [
            "CREATE INDEX IF NOT EXISTS transactions_validator_changes ON citychain.transactions (height, idx) WHERE operation = 'changeValidatorSet'",
        ]),
        // An analyst could call the policy functions with another agency's role name and learn what
        // that agency may read (and so which grants it holds, which the grants view hides). Each
        // now answers only for a role the session's user is a member of.
        Migration(version: 4, description: "analysts ask the access functions only about their own roles", statements: [
            """
            CREATE OR REPLACE FUNCTION citychain.analyst_agency(role name) RETURNS text
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS $$ SELECT r.agency FROM citychain.analyst_roles r
                      WHERE r.role_name = role
                        AND CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role)
                                 THEN pg_has_role(session_user, role, 'MEMBER') ELSE false END $$
            """,
            """
            CREATE OR REPLACE FUNCTION citychain.may_read(role name, ds text) RETURNS boolean
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS $$
                    SELECT EXISTS (
                        SELECT 1 FROM citychain.analyst_roles r JOIN citychain.datasets d ON d.id = ds
                        WHERE r.role_name = role AND citychain.analyst_agency(role) IS NOT NULL AND (
                            d.sensitivity = 'public' OR d.owner = r.agency OR r.agency = ANY (d.writers)
                            OR EXISTS (SELECT 1 FROM citychain.grants g, citychain.index_head h
                                       WHERE g.dataset = ds AND g.grantee = r.agency AND g.revoked_height IS NULL
                                         AND g.expires_at_height >= h.height)))
                $$
            """,
        ]),
        // The indexer's role owns its tables; with row-level security enabled but not forced it is
        // exempt as the owner, so COPY works without superuser or BYPASSRLS, while analysts (never
        // owners) stay under their policies.
        Migration(version: 5, description: "row-level security not forced on the owner: the indexer needs neither superuser nor BYPASSRLS", statements: [
            """
            DO $$ DECLARE t text; BEGIN
                FOREACH t IN ARRAY ARRAY['blocks', 'transactions', 'agencies', 'datasets', 'grants', 'disclosures', 'analyst_roles', 'index_head'] LOOP
                    EXECUTE format('ALTER TABLE citychain.%I NO FORCE ROW LEVEL SECURITY', t);
                END LOOP;
            END $$
            """,
        ]),
        // Roles belong to the cluster and the indexer's advisory lock to one database: indexers of
        // two databases in one cluster could both find an agency's analyst role missing, and the
        // one that lost the race failed, leaving its agencies unmapped (analysts then saw nothing).
        Migration(version: 6, description: "an analyst role another database's indexer created meanwhile is taken as made", statements: [
            """
            CREATE OR REPLACE FUNCTION public.citychain_create_role(role text) RETURNS void LANGUAGE plpgsql AS $$
                BEGIN
                    EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE citychain_analyst', role);
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                END $$
            """,
        ]),
        // Far behind, the indexer drops the transactions table's indexes and constraints and builds
        // them again when it reaches the head (IndexStore.deferIndexes / rebuildIndexes): what they
        // were is kept here, in the transaction that dropped them, so a crash in between loses nothing.
        Migration(version: 7, description: "bulk catch-up: the transactions table's indexes dropped while far behind, kept to rebuild", statements: [
            "CREATE TABLE citychain.deferred_indexes (name text PRIMARY KEY, create_sql text NOT NULL, is_constraint boolean NOT NULL)",
        ]),
        // Grants may end at a block time as well as a height (GrantEntry.expiresAtMillis, 0 = none);
        // the analysts' rule, like LedgerState.canRead, takes the indexed block's time.
        Migration(version: 8, description: "grants that end at a block time; record keys shared with later grantees", statements: [
            "ALTER TABLE citychain.grants ADD COLUMN expires_at_ms bigint NOT NULL DEFAULT 0",
            // Record keys shared with a later grantee (indexer.keyShares), found without a scan of the dataset.
            "CREATE INDEX transactions_key_shares ON citychain.transactions (dataset, height, idx) WHERE operation = 'shareRecordKeys'",
            """
            CREATE OR REPLACE FUNCTION citychain.may_read(role name, ds text) RETURNS boolean
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                AS $$
                    SELECT EXISTS (
                        SELECT 1 FROM citychain.analyst_roles r JOIN citychain.datasets d ON d.id = ds
                        WHERE r.role_name = role AND citychain.analyst_agency(role) IS NOT NULL AND (
                            d.sensitivity = 'public' OR d.owner = r.agency OR r.agency = ANY (d.writers)
                            OR EXISTS (SELECT 1 FROM citychain.grants g, citychain.index_head h
                                       WHERE g.dataset = ds AND g.grantee = r.agency AND g.revoked_height IS NULL
                                         AND g.expires_at_height >= h.height
                                         AND (g.expires_at_ms = 0 OR g.expires_at_ms > COALESCE(
                                              (SELECT b.time_ms FROM citychain.blocks b WHERE b.height = h.height), 0)))))
                $$
            """,
        ]),
        // An index seeded from a validator's snapshot keeps it (and its certified block, part -1):
        // the proven state is rebuilt from it at each start (IndexStore.stateBase).
        Migration(version: 9, description: "an index started from a snapshot keeps it", statements: [
            "CREATE TABLE citychain.state_base (part int PRIMARY KEY, bytes bytea NOT NULL)",
        ]),
    ]
}
