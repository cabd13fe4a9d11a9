package dev.databaseunit.operator.events;

/**
 * Every reason the operator writes on an Event or a condition; one enum so reasons stay a closed, documented
 * set. Grouped by capability.
 */
public enum EventReason {
  // ----- DatabaseUnit: references and connection -----

  /** A DatabaseUnit's references all resolved and it became Ready. */
  Ready,
  /** A referenced Secret does not exist. */
  SecretNotFound,
  /** A referenced Secret lacks a key the spec names. */
  SecretKeyMissing,
  /** A referenced ConfigMap does not exist. */
  ConfigMapNotFound,
  /** The database server cannot be reached (network, DNS, TLS handshake, server down). */
  DatabaseUnreachable,
  /** The server refused the credentials from the Secret. */
  DatabaseAuthenticationFailed,
  /** The server is reachable but the named database does not exist. */
  DatabaseNotFound,
  /** The server rejected the TLS settings (e.g. verify-full against a server without TLS or a wrong CA). */
  DatabaseTlsFailed,
  /** A listed extension is not installed on the server or the operator's role may not create it. */
  ExtensionUnavailable,
  /** A bug: a capability threw something unexpected. The message names it; please report it. */
  InternalError,

  // ----- Schema migrations -----

  // ----- Vector indexes -----

  // ----- Pooler -----

  /** The pool loop grew the server pool (message: old→new and the utilisation that caused it). */
  PoolScaledUp,
  /** The pool loop shrank the server pool. */
  PoolScaledDown,
  /** PgBouncer's pool size differed from the one the loop last applied (PgBouncer restarted): applied again. */
  PoolSizeReapplied,
  /** The PgBouncer admin console cannot be reached. */
  PoolerUnreachable,
  /** The PgBouncer admin console refused the admin credentials. */
  PoolerAuthenticationFailed,
  /** The PgBouncer admin console rejected a command of the pool loop. */
  PoolerCommandFailed,
  /** A spec value cannot be written into pgbouncer.ini safely (line breaks, quotes, '=' in a name). */
  PoolerInvalidSpec,

  // ----- Cache -----

  /** The unit's Redis cannot be reached (network, DNS, TLS handshake, server down). */
  CacheUnreachable,
  /** Redis refused the credentials from the Secret. */
  CacheAuthenticationFailed,
  /** Redis refused CONFIG SET (e.g. a managed service that disables CONFIG, or an ACL without it). */
  CacheConfigRejected,
  /** Redis restarted (its run_id changed) and maxmemory/maxmemory-policy were applied again. */
  CacheConfigReapplied,
  /** An event-driven type names a source table or key column that does not exist. */
  CacheSourceMissing,
  /** A manual invalidation (spec.cache.invalidate) removed every key of a type. */
  CacheInvalidated,
  /** Keys of a type were found without a TTL and given the type's TTL. */
  CacheKeysWithoutTtl,

  // ----- Backups -----

  // ----- Maintenance -----

  // ----- GDPR -----

  /** A GdprRequest was accepted and recorded as requested in the unit's audit table. */
  GdprRequestAccepted,
  /** The GdprRequest names a DatabaseUnit that does not exist in its namespace. */
  DatabaseUnitNotFound,
  /** The unit's subject tables are invalid: a bad identifier, a missing table or column, or an order that breaks a foreign key. */
  SubjectPlanInvalid,
  /** The unit's export storage is missing or its credentials cannot be read. */
  ExportStorageInvalid,
  /** Writing or deleting the export object failed; retried. */
  ExportStorageFailed,
  /** The subject's rows were exported. */
  ExportCompleted,
  /** An export object reached its expiry and was deleted. */
  ExportExpired,
  /** The subject's rows were erased in one transaction. */
  ErasureCompleted,
  /** A dry run counted the rows an erasure would delete. */
  ErasureDryRunCompleted,
  /** No subject table holds a row of the subject: the request completed with zero counts. */
  SubjectNotFound,
  /** The erasure committed but the subject's cache keys could not be removed; retried. */
  CacheInvalidationFailed,
  /** The request failed and was rolled back; it is retried. */
  GdprRequestRetrying,

  // ----- end -----
}
