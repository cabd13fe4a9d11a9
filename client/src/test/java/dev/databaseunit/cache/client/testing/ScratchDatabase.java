package dev.databaseunit.cache.client.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** A database of its own on the shared PostgreSQL, dropped (with FORCE) on close. */
public final class ScratchDatabase implements AutoCloseable {
  private final LocalServices services;
  private final String name;

  public ScratchDatabase(LocalServices services, String purpose) throws SQLException {
    this.services = services;
    this.name = purpose + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
  }

  public String name() {
    return name;
  }

  public Connection connect() throws SQLException {
    return connect(name);
  }

  public void execute(String sql) throws SQLException {
    try (Connection connection = connect(); Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(services.jdbcUrl(database), services.postgresUser(), services.postgresPassword());
  }

  @Override
  public void close() throws SQLException {
    try (Connection admin = connect("postgres"); Statement statement = admin.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
