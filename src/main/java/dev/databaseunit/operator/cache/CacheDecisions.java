package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.LastInvalidation;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/** The cache capability's decisions, as plain functions of values. */
final class CacheDecisions {
  private CacheDecisions() {}

  /** A manual invalidation runs once per (dataType, generation): again only when either changes. */
  static boolean invalidationDue(CacheSpec.Invalidation requested, LastInvalidation last) {
    if (requested == null) {
      return false;
    }
    return last == null || !Objects.equals(last.generation(), requested.generation())
        || !Objects.equals(last.dataType(), requested.dataType());
  }

  /**
   * Whether CONFIG SET must run: on first sight of the server, after it restarted (a new run_id: Redis forgets
   * CONFIG SET values unless its config file has them) or when its values drifted from the policy.
   *
   * @param appliedRunId run_id when the operator last applied the policy, null if never
   * @param configGet CONFIG GET maxmemory maxmemory-policy as Redis returned it
   */
  static boolean memoryConfigDue(EffectiveCachePolicy policy, String appliedRunId, String runId, Map<String, String> configGet) {
    return appliedRunId == null || !appliedRunId.equals(runId)
        || !Long.toString(policy.maxMemoryBytes()).equals(configGet.get("maxmemory"))
        || !policy.evictionPolicy().equals(configGet.get("maxmemory-policy"));
  }

  /** The TTL sweep scans every key of the unit, so it runs on the first reconcile and then once per interval. */
  static boolean ttlSweepDue(Instant lastSweep, Instant now, Duration interval) {
    return lastSweep == null || !now.isBefore(lastSweep.plus(interval));
  }
}
