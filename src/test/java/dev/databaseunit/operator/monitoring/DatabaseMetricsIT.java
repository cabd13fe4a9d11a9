package dev.databaseunit.operator.monitoring;

import dev.databaseunit.operator.common.DesiredObjects;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Database metrics sampled from the real PostgreSQL: sessions, a slow query, latency from pg_stat_statements. */
@WithLocalServices
class DatabaseMetricsIT {

  @Test
  void sessionsSlowQueriesAndLatencyAreSampled(TestDatabase db) throws Exception {
    var registry = new SimpleMeterRegistry();
    var scheduler = Executors.newSingleThreadScheduledExecutor();
    try (var ds = new HikariDataSource()) {
      ds.setJdbcUrl(db.jdbcUrl());
      ds.setUsername(db.user());
      ds.setPassword(db.password());
      try (var c = db.connect()) {
        c.createStatement().execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      }
      var capability = new DatabaseMetricsCapability(registry, scheduler, Duration.ofMillis(200));
      var unit = new DatabaseUnit();
      unit.setMetadata(new ObjectMetaBuilder().withNamespace("apps").withName("shop").build());
      capability.reconcile(new UnitContext(unit, "apps/shop", Optional.empty(), Optional.of(ds), (ns, n) -> Optional.empty(),
          (ns, n) -> Optional.empty(), DesiredObjects.Live.NONE, UnitContext.EndpointSliceLookup.NONE),
          new DatabaseUnitStatus(null, List.of(), null, null, null, null, null, null));

      var slow = CompletableFuture.runAsync(() -> {
        try (var c = db.connect()) {
          c.createStatement().execute("SELECT pg_sleep(3)");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(gauge(registry, "databaseunit.postgres.slow.queries")).isEqualTo(1.0);
        assertThat(gauge(registry, "databaseunit.postgres.connections")).isGreaterThanOrEqualTo(1.0);
        assertThat(gauge(registry, "databaseunit.postgres.max.connections")).isGreaterThan(10.0);
      });
      slow.get();
      // The 3 s statement finished inside a sampling interval: it dominates the p95 of that interval.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(gauge(registry, "databaseunit.postgres.query.latency.p95")).isGreaterThan(2.5));

      capability.unitDeleted("apps/shop");
      assertThat(registry.find("databaseunit.postgres.connections").gauge()).isNull();
    } finally {
      scheduler.shutdownNow();
    }
  }

  /**
   * One scheduler thread samples every unit, as in the operator. A unit whose server stops answering (a relay that no
   * longer forwards, and a pool without any timeout, the worst case) must not stop the samples of another unit.
   */
  @Test
  void aHungServerNeverStallsAnotherUnitsSamples(TestDatabase db) throws Exception {
    var registry = new SimpleMeterRegistry();
    var scheduler = Executors.newSingleThreadScheduledExecutor();
    try (var hung = new HikariDataSource(); var healthy = new HikariDataSource();
        var relay = new dev.databaseunit.operator.testing.TcpRelay(db.host(), db.port(), 0)) {
      hung.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + relay.port() + "/" + db.name());
      for (var ds : List.of(hung, healthy)) {
        if (ds == healthy) {
          ds.setJdbcUrl(db.jdbcUrl());
        }
        ds.setUsername(db.user());
        ds.setPassword(db.password());
      }
      var capability = new DatabaseMetricsCapability(registry, scheduler, Duration.ofMillis(200));
      reconcile(capability, "stuck", hung);
      await().atMost(Duration.ofSeconds(10)).until(() -> gaugeOf(registry, "stuck", "databaseunit.postgres.max.connections") > 0);
      relay.freeze();
      reconcile(capability, "shop", healthy);

      var slow = CompletableFuture.runAsync(() -> {
        try (var c = db.connect()) {
          c.createStatement().execute("SELECT pg_sleep(4)");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(Duration.ofSeconds(4)).untilAsserted(() -> assertThat(gauge(registry, "databaseunit.postgres.slow.queries"))
          .as("the healthy unit is sampled while the other one's server hangs").isEqualTo(1.0));
      slow.get();
      capability.unitDeleted("apps/stuck");
      capability.unitDeleted("apps/shop");
    } finally {
      scheduler.shutdownNow();
    }
  }

  private static void reconcile(DatabaseMetricsCapability capability, String name, javax.sql.DataSource ds) {
    var unit = new DatabaseUnit();
    unit.setMetadata(new ObjectMetaBuilder().withNamespace("apps").withName(name).build());
    capability.reconcile(new UnitContext(unit, "apps/" + name, Optional.empty(), Optional.of(ds), (ns, n) -> Optional.empty(),
        (ns, n) -> Optional.empty(), DesiredObjects.Live.NONE, UnitContext.EndpointSliceLookup.NONE), new DatabaseUnitStatus(null, List.of(), null, null, null, null, null, null));
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return gaugeOf(registry, "shop", name);
  }

  private static double gaugeOf(SimpleMeterRegistry registry, String unit, String name) {
    var gauge = registry.find(name).tag("unit", unit).gauge();
    return gauge == null ? Double.NaN : gauge.value();
  }
}
