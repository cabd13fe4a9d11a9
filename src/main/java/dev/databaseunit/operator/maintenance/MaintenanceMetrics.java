package dev.databaseunit.operator.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Per-unit maintenance series: {@code databaseunit_maintenance_duration_seconds}, {@code _drain_seconds},
 * {@code _killed_connections_total} and {@code databaseunit_maintenance_runs_total{outcome}}.
 */
final class MaintenanceMetrics {
  private final MeterRegistry registry;

  MaintenanceMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void runEnded(String namespace, String unit, String outcome, Duration duration) {
    Tags tags = Tags.of("namespace", namespace, "unit", unit);
    Timer.builder("databaseunit.maintenance.duration").description("Wall time of maintenance runs").tags(tags)
        .register(registry).record(duration);
    Counter.builder("databaseunit.maintenance.runs").description("Maintenance runs by outcome").tags(tags.and("outcome", outcome))
        .register(registry).increment();
  }

  void drained(String namespace, String unit, double seconds, int killed) {
    Tags tags = Tags.of("namespace", namespace, "unit", unit);
    Timer.builder("databaseunit.maintenance.drain").description("Time from PAUSE until PgBouncer held no busy server connection")
        .tags(tags).register(registry).record(Duration.ofMillis(Math.round(seconds * 1000)));
    Counter.builder("databaseunit.maintenance.killed.connections")
        .description("Backends terminated because their transaction outlasted the drain timeout").tags(tags)
        .register(registry).increment(killed);
  }
}
