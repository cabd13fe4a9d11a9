package dev.databaseunit.cache.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.LongAdder;

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
  /** Exported meters are shared by every cache registered with the same tags; these counts are this instance's. */
  private final LongAdder[] local = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
  private final Counter[] exported;
  private static final int L1_HIT = 0;
  private static final int L1_MISS = 1;
  private static final int L2_HIT = 2;
  private static final int L2_MISS = 3;
  private static final int REDIS_ERROR = 4;

  final Timer fromL1;
  final Timer fromL2;
  final Timer fromDatabase;

  TypeMetrics(MeterRegistry registry, Tags commonTags, String dataType) {
    Tags tags = commonTags.and("type", dataType);
    exported = new Counter[] {
        requests(registry, tags, "l1", "hit"),
        requests(registry, tags, "l1", "miss"),
        requests(registry, tags, "l2", "hit"),
        requests(registry, tags, "l2", "miss"),
        Counter.builder("databaseunit.client.cache.redis.errors")
            .description("L2 operations that failed; reads fell through to the database").tags(tags).register(registry)};
    fromL1 = getTimer(registry, tags, "l1");
    fromL2 = getTimer(registry, tags, "l2");
    fromDatabase = getTimer(registry, tags, "database");
    hitRatio(registry, tags, "l1", () -> exportedSnapshot().l1HitRate());
    hitRatio(registry, tags, "l2", () -> exportedSnapshot().l2HitRate());
    hitRatio(registry, tags, "overall", () -> exportedSnapshot().overallHitRate());
  }

  void l1Hit() {
    count(L1_HIT);
  }

  void l1Miss() {
    count(L1_MISS);
  }

  void l2Hit() {
    count(L2_HIT);
  }

  void l2Miss() {
    count(L2_MISS);
  }

  void redisError() {
    count(REDIS_ERROR);
  }

  /** This instance's counts. */
  CacheStats snapshot() {
    return new CacheStats(local[L1_HIT].sum(), local[L1_MISS].sum(), local[L2_HIT].sum(), local[L2_MISS].sum(),
        local[REDIS_ERROR].sum());
  }

  private CacheStats exportedSnapshot() {
    return new CacheStats((long) exported[L1_HIT].count(), (long) exported[L1_MISS].count(),
        (long) exported[L2_HIT].count(), (long) exported[L2_MISS].count(), (long) exported[REDIS_ERROR].count());
  }

  private void count(int what) {
    local[what].increment();
    exported[what].increment();
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
