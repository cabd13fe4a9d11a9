package dev.databaseunit.operator.pool;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A unit's pool meters, tagged namespace and unit: databaseunit_pool_utilisation, _size, _max_size, _clients_waiting,
 * _wait_seconds (average per transaction since the previous sample), _scale_events_total{direction} and
 * _connection_establishment_seconds (TCP connect and login of a new client connection to the PgBouncer).
 */
final class PoolMetrics implements AutoCloseable {
  private record Values(double utilisation, int size, int maxSize, int waiting, double waitSeconds) {}

  private final MeterRegistry registry;
  private final AtomicReference<Values> values = new AtomicReference<>(new Values(0, 0, 0, 0, 0));
  private final List<Meter> meters = new ArrayList<>();
  private final Counter up;
  private final Counter down;
  private final Timer connect;

  PoolMetrics(MeterRegistry registry, String namespace, String unit) {
    this.registry = registry;
    Tags tags = Tags.of("namespace", namespace, "unit", unit);
    meters.add(Gauge.builder("databaseunit.pool.utilisation", values, v -> v.get().utilisation())
        .tags(tags).description("Smoothed (server connections in use + waiting clients) / pool size").register(registry));
    meters.add(Gauge.builder("databaseunit.pool.size", values, v -> v.get().size())
        .tags(tags).description("Server pool size in force on PgBouncer").register(registry));
    meters.add(Gauge.builder("databaseunit.pool.max.size", values, v -> v.get().maxSize())
        .tags(tags).description("The largest size the adaptive policy may set (spec.pooler.maxSize)").register(registry));
    meters.add(Gauge.builder("databaseunit.pool.clients.waiting", values, v -> v.get().waiting())
        .tags(tags).description("Clients queued for a server connection").register(registry));
    meters.add(Gauge.builder("databaseunit.pool.wait", values, v -> v.get().waitSeconds()).baseUnit("seconds")
        .tags(tags).description("Average client wait per transaction since the previous sample").register(registry));
    up = Counter.builder("databaseunit.pool.scale.events").tags(tags.and("direction", "up"))
        .description("Pool scale steps").register(registry);
    down = Counter.builder("databaseunit.pool.scale.events").tags(tags.and("direction", "down"))
        .description("Pool scale steps").register(registry);
    connect = Timer.builder("databaseunit.pool.connection.establishment").tags(tags)
        .description("Time to open and authenticate a new client connection to the PgBouncer").register(registry);
    meters.addAll(List.of(up, down, connect));
  }

  void observe(double utilisation, int size, int maxSize, int waiting, double averageWaitMillis) {
    values.set(new Values(utilisation, size, maxSize, waiting, averageWaitMillis / 1000.0));
  }

  void scaled(PoolSizingPolicy.Direction direction) {
    (direction == PoolSizingPolicy.Direction.UP ? up : down).increment();
  }

  void connected(long nanos) {
    if (nanos >= 0) {
      connect.record(Duration.ofNanos(nanos));
    }
  }

  @Override
  public void close() {
    meters.forEach(registry::remove);
  }
}
