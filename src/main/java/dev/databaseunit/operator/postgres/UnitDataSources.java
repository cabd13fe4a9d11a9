package dev.databaseunit.operator.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * One small HikariCP pool per DatabaseUnit inside the operator, shared by every capability that talks to the
 * unit's database. A changed target (host, credentials, TLS) replaces the pool; deleting the unit closes it.
 */
public final class UnitDataSources implements AutoCloseable {
  /** The operator's own work per unit is a handful of short statements; it must not crowd the application. */
  static final int MAX_CONNECTIONS_PER_UNIT = 4;

  private record Entry(PostgresTarget target, HikariDataSource dataSource) {}

  private final Map<String, Entry> pools = new ConcurrentHashMap<>();
  private final CaCertificates caFiles;

  public UnitDataSources(CaCertificates caFiles) {
    this.caFiles = caFiles;
  }

  /**
   * The pool for a unit, created on first use and recreated when the target changed.
   *
   * @param unitKey namespace/name of the unit
   */
  public DataSource dataSource(String unitKey, PostgresTarget target) {
    Entry entry = pools.compute(unitKey, (key, existing) -> {
      if (existing != null && existing.target().equals(target)) {
        return existing;
      }
      if (existing != null) {
        existing.dataSource().close();
      }
      return new Entry(target, new HikariDataSource(config(key, target)));
    });
    return entry.dataSource();
  }

  /** Closes a deleted unit's pool; a no-op for a unit without one. */
  public void close(String unitKey) {
    Entry entry = pools.remove(unitKey);
    if (entry != null) {
      entry.dataSource().close();
    }
  }

  public CaCertificates caFiles() {
    return caFiles;
  }

  private HikariConfig config(String unitKey, PostgresTarget target) {
    var config = new HikariConfig();
    config.setPoolName("databaseunit-" + unitKey.replace('/', '-'));
    config.setJdbcUrl(target.jdbcUrl());
    config.setDataSourceProperties(target.jdbcProperties(caFiles));
    config.setMaximumPoolSize(MAX_CONNECTIONS_PER_UNIT);
    config.setMinimumIdle(0);
    config.setIdleTimeout(Duration.ofMinutes(2).toMillis());
    config.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
    // Do not fail at construction: an unreachable database is reported by the first use, as a Degraded reason.
    config.setInitializationFailTimeout(-1);
    return config;
  }

  @Override
  public void close() {
    pools.keySet().forEach(this::close);
  }
}
