package dev.databaseunit.cache.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The meters of one data type (Prometheus names {@code databaseunit_client_cache_*}), tagged {@code type} plus the
 * cache's common tags:
 * <ul>
 *   <li>{@code databaseunit_client_cache_requests_total{level=l1|l2, result=hit|miss}}</li>
 *   <li>{@code databaseunit_client_cache_hit_ratio{level=l1|l2|overall}} (L2 is over L1 misses)</li>
 *   <li>{@code databaseunit_client_cache_get_seconds{source=l1|l2|database}}: latency of a get by who answered</li>
 *   <li>{@code databaseunit_client_cache_redis_errors_total}: L2 calls that failed and fell through</li>
 * </ul>
 */
final class TypeMetrics {
  final Counter l1Hits;
  final Counter l1Misses;
  final Counter l2Hits;
  final Counter l2Misses;
  final Counter redisErrors;
  final Timer fromL1;
  final Timer fromL2;
  final Timer fromDatabase;

  TypeMetrics(MeterRegistry registry, Tags commonTags, String dataType) {
    Tags tags = commonTags.and("type", dataType);
    l1Hits = requests(registry, tags, "l1", "hit");
    l1Misses = requests(registry, tags, "l1", "miss");
    l2Hits = requests(registry, tags, "l2", "hit");
    l2Misses = requests(registry, tags, "l2", "miss");
    redisErrors = Counter.builder("databaseunit.client.cache.redis.errors")
        .description("L2 operations that failed; reads fell through to the database").tags(tags).register(registry);
    fromL1 = getTimer(registry, tags, "l1");
    fromL2 = getTimer(registry, tags, "l2");
    fromDatabase = getTimer(registry, tags, "database");
    hitRatio(registry, tags, "l1", () -> snapshot().l1HitRate());
    hitRatio(registry, tags, "l2", () -> snapshot().l2HitRate());
    hitRatio(registry, tags, "overall", () -> snapshot().overallHitRate());
  }

  CacheStats snapshot() {
    return new CacheStats((long) l1Hits.count(), (long) l1Misses.count(), (long) l2Hits.count(),
        (long) l2Misses.count(), (long) redisErrors.count());
  }

  private static Counter requests(MeterRegistry registry, Tags tags, String level, String result) {
    return Counter.builder("databaseunit.client.cache.requests").description("Lookups per cache level and outcome")
        .tags(tags).tag("level", level).tag("result", result).register(registry);
  }

  private static Timer getTimer(MeterRegistry registry, Tags tags, String source) {
    return Timer.builder("databaseunit.client.cache.get").description("Latency of a get, by the level that answered")
        .tags(tags).tag("source", source).register(registry);
  }

  private static void hitRatio(MeterRegistry registry, Tags tags, String level, java.util.function.DoubleSupplier ratio) {
    Gauge.builder("databaseunit.client.cache.hit.ratio", ratio::getAsDouble)
        .description("Hit ratio since start; l2 is over L1 misses").tags(tags).tag("level", level).register(registry);
  }
}
