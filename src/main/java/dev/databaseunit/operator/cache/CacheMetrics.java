package dev.databaseunit.operator.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/** Per-unit cache gauges ({@code databaseunit_cache_*}, tagged namespace and unit), removed with the unit. */
final class CacheMetrics {
  /** The last values of one unit, read by the gauges. */
  static final class UnitValues {
    volatile RedisInfo info;
    volatile double hitRatio = Double.NaN;
    volatile double invalidationLagSeconds = Double.NaN;
    final List<Meter> meters = new ArrayList<>();
    final Counter keysInvalidated;
    final Counter keysGivenTtl;
    final Counter listenerReconnects;

    private UnitValues(MeterRegistry registry, Tags tags) {
      keysInvalidated = Counter.builder("databaseunit.cache.keys.invalidated")
          .description("Keys removed by event-driven and manual invalidation").tags(tags).register(registry);
      keysGivenTtl = Counter.builder("databaseunit.cache.keys.given.ttl")
          .description("Keys found without a TTL and given their type's TTL").tags(tags).register(registry);
      listenerReconnects = Counter.builder("databaseunit.cache.listener.reconnects")
          .description("Reconnects of the invalidation listener (each followed by a catch-up sweep)").tags(tags).register(registry);
      meters.addAll(List.of(keysInvalidated, keysGivenTtl, listenerReconnects));
    }
  }

  private final MeterRegistry registry;
  private final Map<String, UnitValues> units = new ConcurrentHashMap<>();

  CacheMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  UnitValues of(String unitKey) {
    return units.computeIfAbsent(unitKey, key -> {
      int slash = key.indexOf('/');
      Tags tags = Tags.of("namespace", key.substring(0, slash), "unit", key.substring(slash + 1));
      var values = new UnitValues(registry, tags);
      gauge(values, tags, "databaseunit.cache.hit.ratio", "Keyspace hits over lookups between the last two samples",
          v -> v.hitRatio);
      gauge(values, tags, "databaseunit.cache.evicted.keys", "Keys evicted for maxmemory since Redis started",
          v -> v.info == null ? Double.NaN : v.info.evictedKeys());
      gauge(values, tags, "databaseunit.cache.memory.used.bytes", "Redis used_memory",
          v -> v.info == null ? Double.NaN : v.info.usedMemoryBytes());
      gauge(values, tags, "databaseunit.cache.memory.max.bytes", "Redis maxmemory",
          v -> v.info == null ? Double.NaN : v.info.maxMemoryBytes());
      gauge(values, tags, "databaseunit.cache.ops.per.second", "Redis instantaneous_ops_per_sec",
          v -> v.info == null ? Double.NaN : v.info.opsPerSecond());
      gauge(values, tags, "databaseunit.cache.invalidation.lag.seconds",
          "Row change to UNLINK of its key, largest of the last invalidation batch", v -> v.invalidationLagSeconds);
      return values;
    });
  }

  private void gauge(UnitValues values, Tags tags, String name, String description, ToDoubleFunction<UnitValues> read) {
    values.meters.add(Gauge.builder(name, values, read).description(description).tags(tags).register(registry));
  }

  void remove(String unitKey) {
    UnitValues values = units.remove(unitKey);
    if (values != null) {
      values.meters.forEach(registry::remove);
    }
  }
}
