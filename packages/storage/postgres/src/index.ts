export { postgresStorage, pgliteStorage } from './postgres.js'
export type { PostgresStorageOptions, PgliteStorageOptions } from './postgres.js'
export type { PgPool, PgPoolClient, PGliteDatabase, Row } from './clients.js'
export { SCHEMA_VERSION } from './schema.js'
