package dev.databaseunit.operator.events;

import java.util.EnumSet;
import java.util.Set;

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
  /** The managed PostgreSQL served the unit and now has no ready pod (deleted, restarting, its node gone). */
  ManagedPostgresUnavailable,
  /** The server refused the credentials from the Secret. */
  DatabaseAuthenticationFailed,
  /** The server is reachable but the named database does not exist. */
  DatabaseNotFound,
  /** The server rejected the TLS settings (e.g. verify-full against a server without TLS or a wrong CA). */
  DatabaseTlsFailed,
  /**
   * Credentials would travel without TLS (PostgreSQL tls.mode disable, Redis tls false) to a host that is not loopback,
   * and the cluster admin has not allowed it: nothing was sent.
   */
  PlaintextCredentialsRefused,
  /** A database host, S3 endpoint or scratch instance is not on the cluster admin's allow-list: nothing was sent there. */
  TargetNotAllowed,
  /** An object storage names neither credentials nor workloadIdentity: true; the operator's own identity is never implied. */
  StorageCredentialsMissing,
  /** A listed extension is not installed on the server or the operator's role may not create it. */
  ExtensionUnavailable,
  /** The application's connection Secret could not be written (RBAC, API server). */
  ConnectionSecretFailed,
  /** A bug: a capability threw something unexpected. The message names it; please report it. */
  InternalError,

  // ----- Schema migrations -----

  /** Flyway applied one or more migrations; the message names them and the new version. */
  MigrationsApplied,
  /** A migration failed; the schema stays at the last good version and the message has the server's error. */
  MigrationFailed,
  /** The migration ConfigMaps cannot be used: a key is not a Flyway file name, or a version repeats. */
  MigrationInvalid,
  /** Flyway's validation failed, e.g. an applied migration was edited or removed from the ConfigMaps. */
  MigrationValidationFailed,
  /** Migrations are pending and, with spec.migrations.applyIn: MaintenanceWindow, wait for a window's SchemaUpdate task. */
  MigrationsAwaitingWindow,

  // ----- Vector indexes -----

  /** A vectorIndexes entry names a table, column or index that is not a plain lower-case SQL identifier. */
  VectorInvalidIdentifier,
  /** The table of a vectorIndexes entry does not exist. */
  VectorTableNotFound,
  /** The table has no column of the declared name. */
  VectorColumnNotFound,
  /** The declared column exists but is not of type vector. */
  VectorColumnNotVector,
  /** The vector column has other dimensions than the spec declares. */
  VectorDimensionsMismatch,
  /** A relation with the index's name exists and is not an HNSW index on the table; the operator leaves it alone. */
  VectorIndexNameTaken,
  /** analyzeSchedule is not a valid cron (CronJob or Quartz syntax). */
  VectorScheduleInvalid,
  /** A concurrent build, swap or drop failed; it is retried, replacing what it left behind. */
  VectorIndexBuildFailed,
  /** The catalog or the table could not be read, or hnsw.ef_search could not be set for the application role. */
  VectorIndexDatabaseError,
  /** A concurrent build of an index started. */
  VectorIndexBuildStarted,
  /** An invalid index left by an interrupted build was found; it is dropped and built again. */
  VectorIndexInvalidReplaced,
  /** A replacement with changed parameters is being built next to the serving index. */
  VectorIndexRebuildStarted,
  /** A rebuilt index was swapped in for the old one. */
  VectorIndexSwapped,
  /** The recall probe chose another hnsw.ef_search for the application's role (message: old→new and the recall). */
  EfSearchTuned,
  /** No hnsw.ef_search up to the cap reaches the index's targetRecall (message: the curve and what to change). */
  RecallTargetUnreachable,
  /** autoRebuild chose a stronger graph for the next MaintenanceWindow, or found it can go no further (message: why). */
  VectorIndexAutoRebuildPlanned,

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

  /** A backup's object and manifest were written. */
  BackupSucceeded,
  /** A backup failed (database, pg_dump, object storage); what was written of it was removed. */
  BackupFailed,
  /** A scheduled backup or restore test did not run within its window (operator down, suspended work, failures). */
  BackupMissed,
  /** A backup was cut off by an operator restart; its partial object was removed and the fire runs again. */
  BackupInterrupted,
  /** A backup could not be copied to (or verified in) the secondary storage; the primary copy is good. */
  BackupCopyFailed,
  /** A backup passed its tier's retention and was deleted. */
  BackupExpired,
  /** The policy's DatabaseUnit does not exist. */
  BackupUnitNotFound,
  /** Backups wrapped by a previous key-encryption key were re-wrapped with the current one (manifests only). */
  BackupKeyRotated,
  /** Backups are wrapped by a key-encryption key the policy no longer lists: that key must not be removed yet. */
  BackupKeyStillNeeded,
  /** The key-encryption key in the Secret is not 32 bytes of base64. */
  BackupKeyInvalid,
  /**
   * Retention or key rotation failed after a backup's manifest was written (storage, an unreadable manifest): the
   * backup stands and its fire is handled; only the housekeeping is retried.
   */
  BackupHousekeepingFailed,
  /** A restore test restored the newest backup and every check passed. */
  RestoreTestPassed,
  /** A restore test failed: the backup did not verify or restore, a check failed, or RTO/RPO was not met. */
  RestoreTestFailed,
  /** A scheduled restore test found no backup to test yet: it waits for the first one (not a failure). */
  RestoreTestWaiting,
  /** A backup asked for with the databaseunit.dev/backup-now annotation started. */
  BackupOnDemandStarted,
  /** A restore test asked for with the databaseunit.dev/restore-test-now annotation started. */
  RestoreTestOnDemandStarted,
  /** An on-demand request cannot run (e.g. it names a tier the policy has no schedule for); its token is handled. */
  OnDemandRequestRejected,

  // ----- Maintenance -----

  /** A maintenance run started: prechecks, then the drain. */
  MaintenanceStarted,
  /** The window names a DatabaseUnit that does not exist (or its selector matches none). */
  MaintenanceUnitNotFound,
  /** The window's schedule, time zone or durations cannot be used (e.g. a cron that never fires). */
  MaintenanceInvalidSchedule,
  /** A precheck failed (unit not Ready, no recent backup, no pooler to drain through); nothing was paused. */
  MaintenancePrecheckFailed,
  /** PgBouncer was paused and every in-flight transaction finished. */
  MaintenanceDrained,
  /** The drain timed out and the backends still in a transaction were terminated. */
  MaintenanceConnectionsKilled,
  /** The drain timed out in abort mode: the run stopped and traffic was resumed. */
  MaintenanceDrainTimedOut,
  /** A task failed; what the run changed is being rolled back. */
  MaintenanceTaskFailed,
  /** Tasks were not started because they would not finish inside the window. */
  MaintenanceTasksSkipped,
  /** PgBouncer was resumed. */
  MaintenanceResumed,
  /** A run left by a stopped operator was found and resumed/rolled back. */
  MaintenanceRecovered,
  /** The run ended with every task done and the post-checks passed. */
  MaintenanceSucceeded,
  /** The run ended without doing all its tasks; the message says why. */
  MaintenanceFailed,
  /** Another run holds the unit's maintenance Lease. */
  MaintenanceLeaseHeld,
  /** No backup was recent enough: the run asked the unit's BackupPolicy for one (prechecks.takeBackupIfMissing) and waits. */
  MaintenanceBackupRequested,

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
  /** The subject hash key in the Secret (spec.gdpr.subjectHashKey) is not base64 of at least 32 bytes. */
  GdprSubjectKeyInvalid,
  /** An export was deleted with its GdprRequest (the request's finalizer), before its expiry. */
  ExportDeleted,
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

  // ----- Bootstrap from a backup -----

  /** The restore of spec.bootstrap's backup into the unit's empty database started. */
  BootstrapStarted,
  /** The backup was restored (one transaction); erasures made after it are being applied again. */
  BootstrapRestored,
  /** The backup was restored and the erasure ledger re-applied: the unit may become Ready. */
  BootstrapCompleted,
  /** The unit's database already holds tables: a bootstrap never overwrites data, nothing was touched. */
  BootstrapRefused,
  /** spec.bootstrap names a BackupPolicy that does not exist, or whose keys or credentials are unusable. */
  BootstrapPolicyInvalid,
  /** The named backup does not exist, or the policy has no good backup at all. */
  BootstrapBackupNotFound,
  /** The backup failed verification (sha256, AES-GCM, key): nothing was restored. */
  BootstrapBackupInvalid,
  /** The restore failed (database, pg_restore, object storage) and was rolled back; it is retried. */
  BootstrapRestoreFailed,
  /** The restored data is there but erasures could not be re-applied yet; the unit stays not Ready, retried. */
  BootstrapErasuresFailed,

  // ----- end -----
  ;

  /**
   * The reasons of a Degraded condition that the operator clears by itself: it retries with backoff (a server that is
   * down, a write or a build that failed). Every other Degraded reason waits for a person — a change to the spec or to
   * what it references (a Secret, a table, a key), or a look at a failed run — and makes the resource Stalled.
   */
  private static final Set<EventReason> RETRIED = EnumSet.of(DatabaseUnreachable, ManagedPostgresUnavailable, ConnectionSecretFailed,
      VectorIndexBuildFailed, VectorIndexDatabaseError, PoolerUnreachable, PoolerCommandFailed, CacheUnreachable, BackupFailed,
      BackupCopyFailed, BackupInterrupted, MaintenanceLeaseHeld, ExportStorageFailed, CacheInvalidationFailed,
      GdprRequestRetrying, BootstrapRestoreFailed, BootstrapErasuresFailed);

  /** Whether a resource Degraded for this reason recovers without anyone changing anything (see {@link #RETRIED}). */
  public boolean retried() {
    return RETRIED.contains(this);
  }
}
