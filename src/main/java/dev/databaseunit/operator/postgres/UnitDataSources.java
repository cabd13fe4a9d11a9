package dev.databaseunit.operator.postgres;

import com.zaxxer.hikari.HikariConfig;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.UnitProblem;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Small HikariCP pools inside the operator, shared by every capability that talks to a unit's database. Units
 * that resolve to the same target (server, database, user, TLS) share one pool, so a thousand units on a few
 * databases do not hold thousands of connections; a changed target moves the unit to another pool, and a pool
 * is closed when its last unit is deleted or moved away.
 */
public final class UnitDataSources implements AutoCloseable {
  /** The operator's own work per target is a handful of short statements; it must not crowd the application. */
  public static final int MAX_CONNECTIONS_PER_TARGET = 4;

  private static final class SharedPool {
    final HikariDataSource dataSource;
    final TimedDataSource forReconcile;
    final Set<String> units = new HashSet<>();

    SharedPool(HikariDataSource dataSource, DatabaseTimeouts timeouts) {
      this.dataSource = dataSource;
      this.forReconcile = new TimedDataSource(dataSource, timeouts, DatabaseTimeouts.Purpose.RECONCILE);
    }
  }

  private final Map<PostgresTarget, SharedPool> pools = new HashMap<>();
  private final Map<String, PostgresTarget> targetOfUnit = new HashMap<>();
  private final AtomicInteger poolNumber = new AtomicInteger();
  private final CaCertificates caFiles;
  private final EgressPolicy egress;
  private final DatabaseTimeouts timeouts;

  /**
   * @param egress checked before a pool for a target is handed out, so no capability connects where it may not
   * @param timeouts every session's connect, statement, lock and socket timeouts, by purpose
   */
  public UnitDataSources(CaCertificates caFiles, EgressPolicy egress, DatabaseTimeouts timeouts) {
    this.caFiles = caFiles;
    this.egress = egress;
    this.timeouts = timeouts;
  }

  /**
   * The pool for a unit's target, created on first use, with the reconcile's timeouts; {@link TimedDataSource#forPurpose}
   * gives it with another purpose's.
   *
   * @param unitKey namespace/name of the unit
   */
  public synchronized DataSource dataSource(String unitKey, PostgresTarget target) throws UnitProblem {
    egress.checkDatabase("the database of " + unitKey, target.host(), target.sslMode() != PostgresTls.Mode.DISABLE);
    PostgresTarget previous = targetOfUnit.put(unitKey, target);
    if (previous != null && !previous.equals(target)) {
      release(unitKey, previous);
    }
    SharedPool pool = pools.computeIfAbsent(target, t -> new SharedPool(new HikariDataSource(config(t)), timeouts));
    pool.units.add(unitKey);
    return pool.forReconcile;
  }

  /** Releases a deleted unit's use of its pool; a no-op for a unit without one. */
  public synchronized void close(String unitKey) {
    PostgresTarget target = targetOfUnit.remove(unitKey);
    if (target != null) {
      release(unitKey, target);
    }
  }

  public CaCertificates caFiles() {
    return caFiles;
  }

  public EgressPolicy egress() {
    return egress;
  }

  public DatabaseTimeouts timeouts() {
    return timeouts;
  }

  private void release(String unitKey, PostgresTarget target) {
    SharedPool pool = pools.get(target);
    if (pool != null && pool.units.remove(unitKey) && pool.units.isEmpty()) {
      pools.remove(target);
      pool.dataSource.close();
    }
  }

  private HikariConfig config(PostgresTarget target) {
    var config = new HikariConfig();
    config.setPoolName("databaseunit-" + poolNumber.incrementAndGet() + "-" + target.database());
    config.setJdbcUrl(target.jdbcUrl());
    // Named, not looked up through DriverManager: DriverManager finds drivers only through the context class
    // loader of the first thread that asks, which in an embedding (mvn exec:java) may not see pgjdbc.
    config.setDriverClassName(org.postgresql.Driver.class.getName());
    config.setDataSourceProperties(target.jdbcProperties(caFiles, timeouts.connect(), timeouts.of(DatabaseTimeouts.Purpose.RECONCILE)));
    config.setMaximumPoolSize(MAX_CONNECTIONS_PER_TARGET);
    config.setMinimumIdle(0);
    // Idle connections go quickly: most targets are touched once per resync, and servers count connections.
    config.setIdleTimeout(Duration.ofSeconds(30).toMillis());
    config.setConnectionTimeout(timeouts.connect().toMillis());
    // Do not fail at construction: an unreachable database is reported by the first use, as a Degraded reason.
    config.setInitializationFailTimeout(-1);
    return config;
  }

  @Override
  public synchronized void close() {
    pools.values().forEach(pool -> pool.dataSource.close());
    pools.clear();
    targetOfUnit.clear();
  }
}
