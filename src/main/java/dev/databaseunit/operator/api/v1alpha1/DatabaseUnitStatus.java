package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatabaseUnitStatus(
    @JsonPropertyDescription("The metadata.generation this status describes.") Long observedGeneration,
    @SchemaFrom(type = ConditionSchema[].class) @JsonPropertyDescription("Ready, Progressing and Degraded, with reasons.")
        List<Condition> conditions,
    @JsonPropertyDescription("What the operator found in the database.") DatabaseStatus database,
    @JsonPropertyDescription("One entry per declared vector index.") List<VectorIndexStatus> vectorIndexes,
    @JsonPropertyDescription("The adaptive pool as last sampled.") PoolerStatus pooler,
    @JsonPropertyDescription("Cache statistics and invalidation.") CacheStatus cache,
    @JsonPropertyDescription("Secret the application connects with (through the pooler when there is one).")
        String connectionSecret,
    @JsonPropertyDescription("Progress of spec.bootstrap: which backup, which phase, how many erasures were re-applied.")
        BootstrapStatus bootstrap) {

  public DatabaseUnitStatus withConditions(Long generation, List<Condition> newConditions) {
    return new DatabaseUnitStatus(generation, newConditions, database, vectorIndexes, pooler, cache, connectionSecret, bootstrap);
  }

  public DatabaseUnitStatus withDatabase(DatabaseStatus newDatabase) {
    return new DatabaseUnitStatus(observedGeneration, conditions, newDatabase, vectorIndexes, pooler, cache, connectionSecret, bootstrap);
  }

  public DatabaseUnitStatus withVectorIndexes(List<VectorIndexStatus> newVectorIndexes) {
    return new DatabaseUnitStatus(observedGeneration, conditions, database, newVectorIndexes, pooler, cache, connectionSecret, bootstrap);
  }

  public DatabaseUnitStatus withPooler(PoolerStatus newPooler) {
    return new DatabaseUnitStatus(observedGeneration, conditions, database, vectorIndexes, newPooler, cache, connectionSecret, bootstrap);
  }

  public DatabaseUnitStatus withCache(CacheStatus newCache) {
    return new DatabaseUnitStatus(observedGeneration, conditions, database, vectorIndexes, pooler, newCache, connectionSecret, bootstrap);
  }

  public DatabaseUnitStatus withConnectionSecret(String newConnectionSecret) {
    return new DatabaseUnitStatus(observedGeneration, conditions, database, vectorIndexes, pooler, cache, newConnectionSecret, bootstrap);
  }

  public DatabaseUnitStatus withBootstrap(BootstrapStatus newBootstrap) {
    return new DatabaseUnitStatus(observedGeneration, conditions, database, vectorIndexes, pooler, cache, connectionSecret,
        newBootstrap);
  }

  /**
   * @param phase Restoring (pg_restore in one transaction), ReapplyingErasures (the database holds the backup;
   *     erasures made after it are being applied again), Completed (never redone), Failed (nothing restored: the
   *     database is as it was, the attempt is retried)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BootstrapStatus(
      @JsonPropertyDescription("Id of the backup being (or that was) restored.") String backupId,
      @JsonPropertyDescription("Restoring, ReapplyingErasures, Completed or Failed.") String phase,
      @JsonPropertyDescription("When the bootstrap started, RFC 3339.") String startTime,
      @JsonPropertyDescription("When the bootstrap completed, RFC 3339.") String completionTime,
      @JsonPropertyDescription("Subjects erased after the backup was taken whose rows were found and erased again.")
          Integer erasuresReapplied,
      @JsonPropertyDescription("What happened last, or why the bootstrap is stuck.") String message) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatabaseStatus(
      @JsonPropertyDescription("server_version of PostgreSQL.") String serverVersion,
      @JsonPropertyDescription("Installed extensions and their versions.") Map<String, String> extensions,
      @JsonPropertyDescription("Latest applied Flyway version.") String schemaVersion,
      @JsonPropertyDescription("Migrations not yet applied.") Integer pendingMigrations,
      @JsonPropertyDescription("max_connections less the slots reserved for superusers (and reserved_connections): the connections "
          + "ordinary roles can open. The pooler's connection budget stays within it.") Integer clientConnections) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record VectorIndexStatus(
      @JsonPropertyDescription("Name of the index, as in the spec.") String name,
      @JsonPropertyDescription("Absent, Building, Ready, Rebuilding or Invalid.") String state,
      @JsonPropertyDescription("Operator class of the serving index, read from the catalog.") String opclass,
      @JsonPropertyDescription("HNSW m of the serving index, read from the catalog.") Integer m,
      @JsonPropertyDescription("HNSW ef_construction of the serving index, read from the catalog.") Integer efConstruction,
      @JsonPropertyDescription("hnsw.ef_search for this index: spec.efSearch, else the one the recall probe chose. The "
          + "application's role gets the highest of the unit's indexes in the database.")
          Integer efSearch,
      @JsonPropertyDescription("Size of the serving index in bytes.") Long sizeBytes,
      @JsonPropertyDescription("Build progress in percent while building.") Integer buildProgressPercent,
      @JsonPropertyDescription("Measured recall@10 of the index against an exact scan.") Double recallAtK,
      @JsonPropertyDescription("Measured median latency of an index query, in milliseconds.") Double p50LatencyMillis,
      @JsonPropertyDescription("Measured p95 latency of an index query, in milliseconds.") Double p95LatencyMillis,
      @JsonPropertyDescription("When the last recall probe ran (RFC 3339).") String lastProbeTime,
      @JsonPropertyDescription("When the table was last analysed by the operator (RFC 3339).") String lastAnalyzeTime,
      @JsonPropertyDescription("The last search for an ef_search meeting spec.targetRecall.") RecallTuningStatus recallTuning,
      @JsonPropertyDescription("With spec.autoRebuild: the graph parameters chosen for recall, which a MaintenanceWindow "
          + "builds where they differ from the serving index's m and efConstruction.") AutoRebuildStatus autoRebuild) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AutoRebuildStatus(
      @JsonPropertyDescription("HNSW m of the graph chosen (at least spec.m).") Integer m,
      @JsonPropertyDescription("HNSW ef_construction of the graph chosen (at least spec.efConstruction).") Integer efConstruction,
      @JsonPropertyDescription("Why, or why no further step is taken.") String message,
      @JsonPropertyDescription("When the choice was made (RFC 3339).") String decidedAt) {}

  /**
   * @param reason RecallTargetMet or RecallTargetUnreachable
   * @param writesAtProbe the table's inserted, updated and deleted rows (pg_stat_user_tables) at the probe: a table
   *     that changed much since is probed again
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RecallTuningStatus(
      @JsonPropertyDescription("RecallTargetMet or RecallTargetUnreachable.") String reason,
      @JsonPropertyDescription("What was found and, when the target is out of reach, what to change.") String message,
      @JsonPropertyDescription("The recall target searched for.") Double targetRecall,
      @JsonPropertyDescription("The range of ef_search searched: spec.efSearch alone, else 40 to spec.maxEfSearch.")
          Integer minEfSearch,
      @JsonPropertyDescription("The highest ef_search the search could try.") Integer maxEfSearch,
      @JsonPropertyDescription("Recall@10 measured at each ef_search tried, by ef_search.") List<RecallPoint> curve,
      @JsonPropertyDescription("Queries the probe ran (exact scans and index scans): its cost on the database.")
          Integer probeQueries,
      @JsonPropertyDescription("How long the probe took, in milliseconds.") Long probeMillis,
      @JsonPropertyDescription("n_tup_ins + n_tup_upd + n_tup_del of the table at the probe.") Long writesAtProbe,
      @JsonPropertyDescription("HNSW m of the index probed: a rebuilt index is probed again.") Integer m,
      @JsonPropertyDescription("HNSW ef_construction of the index probed.") Integer efConstruction) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RecallPoint(
      @JsonPropertyDescription("hnsw.ef_search.") Integer efSearch,
      @JsonPropertyDescription("Mean recall@10 over the probe's queries.") Double recallAtK) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PoolerStatus(
      @JsonPropertyDescription("Pool size (PgBouncer default_pool_size) currently applied, summed over the PgBouncer replicas.")
          Integer currentSize,
      @JsonPropertyDescription("Server connections in use (plus waiting clients) over the pool size, smoothed, over all replicas.")
          Double utilisation,
      @JsonPropertyDescription("Clients waiting for a server connection at the last sample, summed over the replicas.")
          Integer clientsWaiting,
      @JsonPropertyDescription("Average client wait per transaction since the previous sample, in milliseconds (the longest of the "
          + "replicas').") Double averageWaitMillis,
      @JsonPropertyDescription("When a pool size last changed, RFC 3339.") String lastScaleTime,
      @JsonPropertyDescription("Why the last scale step happened, e.g. 'utilisation 0.86 over 60s'.") String lastScaleReason,
      @JsonPropertyDescription("The server connections all replicas may hold together: maxSize, or less when the database's "
          + "max_connections (less reserved slots and the operator's own connections) leaves fewer. The pool sizes sum to at most this.")
          Integer budget,
      @JsonPropertyDescription("Each PgBouncer the loop sizes (a ready pod of the managed pooler, or the external one): its size, "
          + "what its own load wants, and its share of the budget.") List<PoolerReplicaStatus> replicas) {}

  /**
   * @param share the replica's cap: what it wants when the wants fit in the budget, else its share by demand
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PoolerReplicaStatus(
      @JsonPropertyDescription("The pod (or, for an external pooler, host:port).") String name,
      @JsonPropertyDescription("Pool size applied on this PgBouncer.") Integer size,
      @JsonPropertyDescription("The size the sizing policy wants for this PgBouncer's own load.") Integer wanted,
      @JsonPropertyDescription("This PgBouncer's share of the budget: what it wants when the wants fit, else a share by demand.")
          Integer share,
      @JsonPropertyDescription("Its utilisation, smoothed.") Double utilisation,
      @JsonPropertyDescription("Clients waiting on it at the last sample.") Integer clientsWaiting) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CacheStatus(
      @JsonPropertyDescription("Keyspace hits over lookups between the last two samples (every 15 s), else since Redis started.")
          Double hitRatio,
      @JsonPropertyDescription("keyspace_hits since Redis started.") Long hits,
      @JsonPropertyDescription("keyspace_misses since Redis started.") Long misses,
      @JsonPropertyDescription("Keys evicted for maxmemory since Redis started.") Long evictedKeys,
      @JsonPropertyDescription("used_memory of Redis.") Long usedMemoryBytes,
      @JsonPropertyDescription("maxmemory of Redis (0: no limit).") Long maxMemoryBytes,
      @JsonPropertyDescription("Commands per second Redis reported (instantaneous_ops_per_sec).") Long opsPerSecond,
      @JsonPropertyDescription("Time from a row change to the UNLINK of its key, last measured, in milliseconds.")
          Double invalidationLagMillis,
      @JsonPropertyDescription("The last manual invalidation carried out.") LastInvalidation lastInvalidation,
      @JsonPropertyDescription("Default policies (spec.cache.policies left out) that do not apply, each with why: the "
          + "seed's event-driven types need their source tables. Not a failure; a type applies once a migration creates "
          + "its table. Declared policies are never inactive: a missing source table makes the unit Degraded.")
          List<InactiveCachePolicy> inactivePolicies) {}

  public record InactiveCachePolicy(
      @JsonPropertyDescription("The data type of the policy.") String dataType,
      @JsonPropertyDescription("Why it does not apply: SourceTableMissing or KeyColumnMissing.") InactiveReason reason,
      @JsonPropertyDescription("What is missing, e.g. \"source table 'users' does not exist\".") String message) {}

  /** Why a default cache policy does not apply. */
  public enum InactiveReason { SourceTableMissing, KeyColumnMissing }

  public record LastInvalidation(
      @JsonPropertyDescription("The data type whose keys were flushed.") String dataType,
      @JsonPropertyDescription("spec.cache.invalidate.generation that was carried out.") Long generation,
      @JsonPropertyDescription("Keys removed (UNLINK).") Long keysRemoved,
      @JsonPropertyDescription("When the invalidation finished, RFC 3339.") String time) {}
}
