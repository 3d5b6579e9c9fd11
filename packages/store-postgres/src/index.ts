/**
 * @tunasync/store-postgres: the manager store for `db_type = "postgres"` (issue 19; being built).
 */
export {};
