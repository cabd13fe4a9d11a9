package dev.databaseunit.operator.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh database on the local PostgreSQL (with pgvector available), dropped when the test ends. It is
 * reachable directly and through the local PgBouncer, which forwards any database name to the server.
 */
public final class TestDatabase implements AutoCloseable {
  private final LocalServices services;
  private final String name;

  private TestDatabase(LocalServices services, String name) {
    this.services = services;
    this.name = name;
  }

  static TestDatabase create(LocalServices services) {
    byte[] random = new byte[5];
    ThreadLocalRandom.current().nextBytes(random);
    var db = new TestDatabase(services, "du_test_" + HexFormat.of().formatHex(random));
    db.admin("CREATE DATABASE " + db.name);
    return db;
  }

  public String name() {
    return name;
  }

  public String host() {
    return services.postgresHost();
  }

  public int port() {
    return services.postgresPort();
  }

  public String user() {
    return services.postgresUser();
  }

  public String password() {
    return services.postgresPassword();
  }

  /** The CA that signed the server certificate, for sslmode=verify-full (the server also accepts plain connections). */
  public java.nio.file.Path caFile() {
    return services.postgresCaFile();
  }

  public int pgbouncerPort() {
    return services.pgbouncerPort();
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host() + ":" + port() + "/" + name;
  }

  /** The same database through PgBouncer (transaction pooling, so no server-side prepared statements). */
  public String pgbouncerJdbcUrl() {
    return "jdbc:postgresql://" + host() + ":" + pgbouncerPort() + "/" + name + "?prepareThreshold=0";
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), user(), password());
  }

  /** A DataSource without a pool, for code under test that takes one (a new connection per getConnection). */
  public DataSource dataSource() {
    var ds = new PGSimpleDataSource();
    ds.setUrl(jdbcUrl());
    ds.setUser(user());
    ds.setPassword(password());
    return ds;
  }

  public Connection connectViaPgBouncer() throws SQLException {
    return DriverManager.getConnection(pgbouncerJdbcUrl(), user(), password());
  }

  /** The first column of every row the query returns, as text, read on a connection of its own. */
  public List<String> queryColumn(String sql) throws SQLException {
    try (var c = connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
      List<String> values = new ArrayList<>();
      while (rs.next()) {
        values.add(rs.getString(1));
      }
      return values;
    }
  }

  /** The first column of the query's first row as a number, read on a connection of its own. */
  public long queryLong(String sql) throws SQLException {
    try (var c = connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void admin(String sql) {
    String url = "jdbc:postgresql://" + host() + ":" + port() + "/postgres";
    try (var c = DriverManager.getConnection(url, user(), password()); var s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot run '" + sql + "' on the local PostgreSQL at " + url
          + " (is it running? scripts/start-services.sh)", e);
    }
  }

  @Override
  public void close() {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}
