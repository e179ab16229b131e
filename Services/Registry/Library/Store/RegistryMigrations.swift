/// The registry's schema `registry`, as versioned migrations run in order at start (together in
/// one transaction, under an advisory lock, recorded in `registry.schema_migrations`). Never edit a
/// released migration: add the next one. docs/REGISTRY.md describes the tables.
package enum RegistryMigrations {
    package struct Migration: Sendable {
        package var version: Int
        package var description: String
        /// Statements, run one at a time.
        package var statements: [String]
    }

    package static let all: [Migration] = [
        Migration(version: 1, description: "services keyed by (kind, id) with leases; the directory revision", statements: [
            """
            CREATE TABLE registry.services (
                kind smallint NOT NULL,
                id text NOT NULL,
                address text NOT NULL,
                fingerprint bytea NOT NULL CHECK (length(fingerprint) = 32),
                node_key bytea NOT NULL CHECK (length(node_key) IN (0, 32)),
                detail text NOT NULL,
                lease_ms bigint NOT NULL CHECK (lease_ms > 0),
                registered_at_ms bigint NOT NULL,
                expires_at_ms bigint NOT NULL,
                revision bigint NOT NULL,
                PRIMARY KEY (kind, id))
            """,
            "CREATE INDEX services_expiry ON registry.services (expires_at_ms)",
            // One row: the revision every change bumps in its own transaction, so a watcher that
            // reads it first never sees a revision before the change it stands for is visible.
            "CREATE TABLE registry.head (id int PRIMARY KEY CHECK (id = 1), revision bigint NOT NULL)",
            "INSERT INTO registry.head (id, revision) VALUES (1, 0)",
        ]),
    ]
}
