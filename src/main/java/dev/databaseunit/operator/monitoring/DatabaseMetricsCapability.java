package dev.databaseunit.operator.monitoring;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database health metrics per unit, sampled from PostgreSQL on a fixed interval (not per reconcile, so scrapes
 * see fresh values however rarely a unit is reconciled): connections, active and idle-in-transaction sessions,
 * slow queries, and query latency p95 from pg_stat_statements. CPU and memory are not visible through SQL;
 * the alert rules take them from the kubelet (managed instances) or the provider's exporter (RDS).
 */
public final class DatabaseMetricsCapability implements UnitCapability {
  private static final Logger log = LoggerFactory.getLogger(DatabaseMetricsCapability.class);
  /** The seed's slow-query alert counts queries running longer than this. */
  static final Duration SLOW_QUERY = Duration.ofSeconds(1);

  private final MeterRegistry registry;
  private final ScheduledExecutorService scheduler;
  private final Duration interval;
  private final Map<String, UnitSampler> samplers = new ConcurrentHashMap<>();

  public DatabaseMetricsCapability(MeterRegistry registry, ScheduledExecutorService scheduler, Duration interval) {
    this.registry = registry;
    this.scheduler = scheduler;
    this.interval = interval;
  }

  @Override
  public String name() {
    return "database-metrics";
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    DataSource dataSource = dev.databaseunit.operator.postgres.TimedDataSource.forPurpose(context.dataSource().orElseThrow(),
        dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.METRICS);
    samplers.computeIfAbsent(context.unitKey(), key -> new UnitSampler(context)).dataSource.set(dataSource);
    return Outcome.done(status);
  }

  @Override
  public void unitDeleted(String unitKey) {
    UnitSampler sampler = samplers.remove(unitKey);
    if (sampler != null) {
      sampler.stop();
    }
  }

  /** The sampling loop and gauges of one unit. */
  private final class UnitSampler {
    final AtomicReference<DataSource> dataSource = new AtomicReference<>();
    final AtomicReference<DatabaseActivity> last = new AtomicReference<>();
    final AtomicReference<Double> latencyP95 = new AtomicReference<>(Double.NaN);
    final List<Meter> meters = new ArrayList<>();
    final ScheduledFuture<?> task;
    final String unitKey;

    UnitSampler(UnitContext context) {
      unitKey = context.unitKey();
      Tags tags = Tags.of("namespace", context.unit().getMetadata().getNamespace(), "unit", context.unit().getMetadata().getName());
      gauge("databaseunit.postgres.connections", "Client sessions on the unit's database", tags, a -> a.connections());
      gauge("databaseunit.postgres.connections.active", "Sessions running a query", tags, a -> a.active());
      gauge("databaseunit.postgres.connections.idle.in.transaction", "Sessions idle inside a transaction", tags,
          a -> a.idleInTransaction());
      gauge("databaseunit.postgres.max.connections", "The server's max_connections", tags, a -> a.maxConnections());
      gauge("databaseunit.postgres.slow.queries", "Active queries running longer than 1 s", tags, a -> a.slowQueries());
      meters.add(Gauge.builder("databaseunit.postgres.query.latency.p95", latencyP95, AtomicReference::get)
          .description("p95 of statement execution time over the last sampling interval (pg_stat_statements)")
          .baseUnit("seconds").tags(tags).register(registry));
      // The scheduler only starts each sample: a database that hangs stalls its own unit's sampling, never another's.
      task = scheduler.scheduleWithFixedDelay(new dev.databaseunit.operator.common.IsolatedTick("database-metrics " + unitKey,
          this::sample), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void gauge(String name, String description, Tags tags, ToDoubleFunction<DatabaseActivity> value) {
      meters.add(Gauge.builder(name, last, ref -> ref.get() == null ? Double.NaN : value.applyAsDouble(ref.get()))
          .description(description).tags(tags).register(registry));
    }

    private void sample() {
      DataSource ds = dataSource.get();
      if (ds == null) {
        return;
      }
      try (var connection = ds.getConnection()) {
        DatabaseActivity now = DatabaseActivity.read(connection, SLOW_QUERY);
        DatabaseActivity before = last.getAndSet(now);
        if (before != null) {
          latencyP95.set(StatementLatency.quantileSeconds(before.statements(), now.statements(), 0.95).orElse(0));
        }
      } catch (SQLException | RuntimeException e) {
        // The reconciler reports an unreachable database as Degraded; here the gauges just go stale-free.
        last.set(null);
        latencyP95.set(Double.NaN);
        log.debug("Sampling database metrics of {} failed: {}", unitKey, e.getMessage());
      }
    }

    void stop() {
      task.cancel(false);
      meters.forEach(registry::remove);
    }
  }
}
