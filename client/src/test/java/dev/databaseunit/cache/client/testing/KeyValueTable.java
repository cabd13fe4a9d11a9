package dev.databaseunit.cache.client.testing;

import dev.databaseunit.cache.client.CacheBacking;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real table as the database behind a cached type: {@code kv(id text primary key, value text)} with a CHECK that
 * rejects values starting with "bad", so tests can make a database write fail for real.
 */
public final class KeyValueTable implements CacheBacking<String>, AutoCloseable {
  private final ScratchDatabase database;
  /** One connection per thread, as a pool would lend it: connecting per call is slow on a loaded machine. */
  private final List<Connection> opened = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Connection> connection = new ThreadLocal<>();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicInteger writeTransactions = new AtomicInteger();

  public KeyValueTable(ScratchDatabase database) throws SQLException {
    this.database = database;
    database.execute("CREATE TABLE kv (id text PRIMARY KEY, value text NOT NULL CHECK (value NOT LIKE 'bad%'))");
  }

  @Override
  public Optional<String> load(String id) throws SQLException {
    loads.incrementAndGet();
    return read(id);
  }

  /** The value in the database, bypassing every cache. */
  public Optional<String> read(String id) throws SQLException {
    try (PreparedStatement select = connection().prepareStatement("SELECT value FROM kv WHERE id = ?")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
      }
    }
  }

  @Override
  public void write(Map<String, String> values) throws SQLException {
    write(values, () -> { });
  }

  @Override
  public void write(Map<String, String> values, Runnable beforeCommit) throws SQLException {
    Connection transaction = connection();
    transaction.setAutoCommit(false);
    try (PreparedStatement upsert = transaction.prepareStatement(
        "INSERT INTO kv (id, value) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value")) {
      for (var entry : values.entrySet()) {
        upsert.setString(1, entry.getKey());
        upsert.setString(2, entry.getValue());
        upsert.addBatch();
      }
      upsert.executeBatch();
      beforeCommit.run();
      transaction.commit();
      writeTransactions.incrementAndGet();
    } catch (SQLException | RuntimeException e) {
      transaction.rollback();
      throw e;
    } finally {
      transaction.setAutoCommit(true);
    }
  }

  /** Changes a row behind the cache's back, as another application or a migration would. */
  public void update(String id, String value) throws SQLException {
    try (PreparedStatement update = connection().prepareStatement("UPDATE kv SET value = ? WHERE id = ?")) {
      update.setString(1, value);
      update.setString(2, id);
      update.executeUpdate();
    }
  }

  public int loads() {
    return loads.get();
  }

  public int writeTransactions() {
    return writeTransactions.get();
  }

  private Connection connection() throws SQLException {
    Connection current = connection.get();
    if (current == null || current.isClosed()) {
      current = database.connect();
      opened.add(current);
      connection.set(current);
    }
    return current;
  }

  @Override
  public void close() throws SQLException {
    for (Connection open : opened) {
      open.close();
    }
  }
}
