package dev.databaseunit.operator.postgres;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A unit's shared pool seen for one purpose: every connection it hands out has that purpose's statement_timeout,
 * lock_timeout and socket timeout, set when it is borrowed (the pool resets the socket timeout when it is returned,
 * and the next borrower sets its own session settings). {@link #forPurpose} gives the same pool for another purpose.
 */
public final class TimedDataSource implements DataSource {
  private final DataSource pool;
  private final DatabaseTimeouts timeouts;
  private final DatabaseTimeouts.SessionTimeouts session;

  TimedDataSource(DataSource pool, DatabaseTimeouts timeouts, DatabaseTimeouts.Purpose purpose) {
    this.pool = pool;
    this.timeouts = timeouts;
    this.session = timeouts.of(purpose);
  }

  /** The data source for another purpose; one that is not the operator's own (a test's) is returned as it is. */
  public static DataSource forPurpose(DataSource dataSource, DatabaseTimeouts.Purpose purpose) {
    return dataSource instanceof TimedDataSource timed ? new TimedDataSource(timed.pool, timed.timeouts, purpose) : dataSource;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection c = pool.getConnection();
    try {
      c.setNetworkTimeout(Runnable::run, (int) session.socket().toMillis());
      try (var st = c.createStatement()) {
        st.execute(session.setSql());
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the pool's credentials come from the unit's Secret");
  }

  public boolean isClosed() {
    return pool instanceof com.zaxxer.hikari.HikariDataSource hikari && hikari.isClosed();
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return pool.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    pool.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    pool.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return pool.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return pool.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    return type.isInstance(this) ? type.cast(this) : pool.unwrap(type);
  }

  @Override
  public boolean isWrapperFor(Class<?> type) throws SQLException {
    return type.isInstance(this) || pool.isWrapperFor(type);
  }
}
