/**
 * @tunasync/store-redis: the manager store for `db_type = "redis"` (issue 19; being built).
 */
export {};
