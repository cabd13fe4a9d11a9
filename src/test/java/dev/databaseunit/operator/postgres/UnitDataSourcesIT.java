package dev.databaseunit.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pool sharing between units with the same target, against the real PostgreSQL. */
@WithLocalServices
class UnitDataSourcesIT {

  @Test
  void unitsWithTheSameTargetShareOnePoolThatClosesWithTheLastUnit(TestDatabase db, @TempDir Path dir) throws Exception {
    try (var pools = new UnitDataSources(new CaCertificates(dir), dev.databaseunit.operator.common.EgressPolicy.DEFAULT,
        dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT)) {
      var target = target(db, db.name());
      var a = pools.dataSource("ns/a", target);
      var b = pools.dataSource("ns/b", target);
      assertThat(a).isSameAs(b);
      try (var c = a.getConnection(); var rs = c.createStatement().executeQuery("SELECT current_database()")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(db.name());
      }

      pools.close("ns/a");
      assertThat(((TimedDataSource) a).isClosed()).isFalse();
      pools.close("ns/b");
      assertThat(((TimedDataSource) a).isClosed()).isTrue();
    }
  }

  @Test
  void aUnitWhoseTargetChangesMovesToAnotherPool(TestDatabase db, @TempDir Path dir) throws Exception {
    try (var pools = new UnitDataSources(new CaCertificates(dir), dev.databaseunit.operator.common.EgressPolicy.DEFAULT,
        dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT)) {
      var first = pools.dataSource("ns/a", target(db, db.name()));
      var second = pools.dataSource("ns/a", target(db, "postgres"));
      assertThat(second).isNotSameAs(first);
      assertThat(((TimedDataSource) first).isClosed()).isTrue();
    }
  }

  /** Every session the pools hand out has its purpose's statement and lock timeouts, however the server is configured. */
  @Test
  void everySessionHasItsPurposesStatementAndLockTimeouts(TestDatabase db, @TempDir Path dir) throws Exception {
    var timeouts = DatabaseTimeouts.parse("metrics.statement=3s,metrics.lock=1s");
    try (var pools = new UnitDataSources(new CaCertificates(dir), dev.databaseunit.operator.common.EgressPolicy.DEFAULT, timeouts)) {
      var reconcile = pools.dataSource("ns/a", target(db, db.name()));
      var metrics = TimedDataSource.forPurpose(reconcile, DatabaseTimeouts.Purpose.METRICS);
      assertThat(settings(metrics)).containsExactly("3s", "1s");
      assertThat(settings(reconcile)).containsExactly("30s", "5s");
      assertThat(settings(metrics)).as("the next borrower sets its own").containsExactly("3s", "1s");
      try (var c = metrics.getConnection(); var st = c.createStatement()) {
        assertThatThrownBy(() -> st.execute("SELECT pg_sleep(10)")).hasMessageContaining("statement timeout");
      }
    }
  }

  /** A server that stops answering mid-query is given up after the socket timeout, not waited for forever. */
  @Test
  void aServerThatStopsAnsweringIsGivenUpAfterTheSocketTimeout(TestDatabase db, @TempDir Path dir) throws Exception {
    var timeouts = DatabaseTimeouts.parse("reconcile.statement=1s");
    try (var relay = new dev.databaseunit.operator.testing.TcpRelay(db.host(), db.port(), 0);
        var pools = new UnitDataSources(new CaCertificates(dir), dev.databaseunit.operator.common.EgressPolicy.DEFAULT, timeouts)) {
      var ds = pools.dataSource("ns/a", new PostgresTarget("127.0.0.1", relay.port(), db.name(), db.user(), db.password(),
          PostgresTls.Mode.DISABLE, null));
      try (var c = ds.getConnection(); var st = c.createStatement()) {
        relay.freeze();
        long start = System.nanoTime();
        assertThatThrownBy(() -> st.execute("SELECT 1")).isInstanceOf(java.sql.SQLException.class);
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(40));
      }
    }
  }

  private static java.util.List<String> settings(javax.sql.DataSource ds) throws Exception {
    try (var c = ds.getConnection(); var st = c.createStatement();
        var rs = st.executeQuery("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")) {
      rs.next();
      return java.util.List.of(rs.getString(1), rs.getString(2));
    }
  }

  private static PostgresTarget target(TestDatabase db, String database) {
    return new PostgresTarget(db.host(), db.port(), database, db.user(), db.password(), PostgresTls.Mode.DISABLE, null);
  }
}
