package dev.databaseunit.operator.vector;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Per-index series: {@code databaseunit_vector_recall} (last measured recall@10),
 * {@code databaseunit_vector_search_seconds} (latency of probe queries through the index, with p50/p95) and
 * {@code databaseunit_vector_index_efficiency} (index scans over index plus sequential scans of the table).
 */
final class VectorMetrics {
  private record Series(AtomicReference<Double> recall, AtomicReference<Double> efficiency, AtomicReference<Double> ready,
      Timer search, List<Meter> meters) {}

  private final MeterRegistry registry;
  private final Map<String, Series> series = new ConcurrentHashMap<>();

  VectorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void recall(String unitKey, String index, double value) {
    of(unitKey, index).recall().set(value);
  }

  void efficiency(String unitKey, String index, double value) {
    of(unitKey, index).efficiency().set(value);
  }

  /** 1 when the index is valid and serving with its declared parameters, 0 while building, rebuilding or invalid. */
  void ready(String unitKey, String index, boolean ready) {
    of(unitKey, index).ready().set(ready ? 1.0 : 0.0);
  }

  void searchLatency(String unitKey, String index, Duration latency) {
    of(unitKey, index).search().record(latency);
  }

  /** Removes the series of indexes of the unit that are no longer declared (all, for a deleted unit). */
  void retain(String unitKey, Set<String> declared) {
    series.entrySet().removeIf(e -> {
      boolean drop = e.getKey().startsWith(unitKey + "/") && !declared.contains(e.getKey().substring(unitKey.length() + 1));
      if (drop) {
        e.getValue().meters().forEach(registry::remove);
      }
      return drop;
    });
  }

  private Series of(String unitKey, String index) {
    return series.computeIfAbsent(IndexJobs.key(unitKey, index), key -> {
      int slash = unitKey.indexOf('/');
      Tags tags = Tags.of("namespace", unitKey.substring(0, slash), "unit", unitKey.substring(slash + 1), "index", index);
      var recall = new AtomicReference<>(Double.NaN);
      var efficiency = new AtomicReference<>(Double.NaN);
      var ready = new AtomicReference<>(Double.NaN);
      Gauge recallGauge = Gauge.builder("databaseunit.vector.recall", recall, AtomicReference::get)
          .description("Recall@10 of the HNSW index against an exact scan, last probe").tags(tags).register(registry);
      Gauge efficiencyGauge = Gauge.builder("databaseunit.vector.index.efficiency", efficiency, AtomicReference::get)
          .description("Index scans of the HNSW index over index scans plus sequential scans of its table")
          .tags(tags).register(registry);
      Gauge readyGauge = Gauge.builder("databaseunit.vector.index.ready", ready, AtomicReference::get)
          .description("1 when the index is valid with its declared parameters").tags(tags).register(registry);
      Timer search = Timer.builder("databaseunit.vector.search")
          .description("Latency of nearest-neighbour queries through the HNSW index (recall probes)")
          .publishPercentiles(0.5, 0.95).tags(tags).register(registry);
      return new Series(recall, efficiency, ready, search, List.of(recallGauge, efficiencyGauge, readyGauge, search));
    });
  }
}
