package dev.databaseunit.operator.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.LastInvalidation;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheDecisionsTest {
  private static final EffectiveCachePolicy POLICY =
      EffectiveCachePolicy.of("ns", "u", new CacheSpec(null, null, "1mb", CacheSpec.EvictionPolicy.ALLKEYS_LFU, null, null, null));
  private static final Map<String, String> MATCHING = Map.of("maxmemory", "1048576", "maxmemory-policy", "allkeys-lfu");

  @Test
  void manualInvalidationRunsOncePerGenerationAndType() {
    var request = new CacheSpec.Invalidation("search_results", 3L);

    assertThat(CacheDecisions.invalidationDue(null, null)).isFalse();
    assertThat(CacheDecisions.invalidationDue(request, null)).isTrue();
    assertThat(CacheDecisions.invalidationDue(request, new LastInvalidation("search_results", 3L, 10L, "t"))).isFalse();
    assertThat(CacheDecisions.invalidationDue(request, new LastInvalidation("search_results", 2L, 10L, "t"))).isTrue();
    assertThat(CacheDecisions.invalidationDue(request, new LastInvalidation("recipes", 3L, 10L, "t"))).isTrue();
  }

  @Test
  void memoryConfigIsAppliedFirstAfterARestartAndOnDrift() {
    assertThat(CacheDecisions.memoryConfigDue(POLICY, null, "r1", MATCHING)).isTrue();
    assertThat(CacheDecisions.memoryConfigDue(POLICY, "r1", "r1", MATCHING)).isFalse();
    assertThat(CacheDecisions.memoryConfigDue(POLICY, "r1", "r2", MATCHING)).isTrue();
    assertThat(CacheDecisions.memoryConfigDue(POLICY, "r1", "r1", Map.of("maxmemory", "0", "maxmemory-policy", "allkeys-lfu"))).isTrue();
    assertThat(CacheDecisions.memoryConfigDue(POLICY, "r1", "r1", Map.of("maxmemory", "1048576", "maxmemory-policy", "noeviction"))).isTrue();
  }

  @Test
  void ttlSweepRunsFirstThenOncePerInterval() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    Duration interval = Duration.ofMinutes(5);

    assertThat(CacheDecisions.ttlSweepDue(null, t0, interval)).isTrue();
    assertThat(CacheDecisions.ttlSweepDue(t0, t0.plusSeconds(299), interval)).isFalse();
    assertThat(CacheDecisions.ttlSweepDue(t0, t0.plusSeconds(300), interval)).isTrue();
  }

  @Test
  void longDataTypesKeepUniqueTriggerNamesWithinTheIdentifierLimit() {
    String a = "a".repeat(60);
    String b = "a".repeat(59) + "b";

    assertThat(InvalidationTriggers.name("user_profiles")).isEqualTo("du_cache_user_profiles");
    assertThat(InvalidationTriggers.name(a)).hasSizeLessThanOrEqualTo(61).isNotEqualTo(InvalidationTriggers.name(b));
    assertThat(InvalidationTriggers.name(b)).hasSizeLessThanOrEqualTo(61);
  }
}
