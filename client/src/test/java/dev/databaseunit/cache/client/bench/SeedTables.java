package dev.databaseunit.cache.client.bench;

import dev.databaseunit.cache.client.CacheBacking;
import dev.databaseunit.cache.client.testing.ScratchDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The seed schema's {@code users} and {@code recipes} (DDL taken from samples/recipe-schema.yaml), filled with
 * deterministic rows, and the two {@link CacheBacking}s over them. Each thread keeps its own connection, as an
 * application's pool would give it one.
 */
final class SeedTables implements AutoCloseable {
  private static final String[] CUISINES = {"italian", "thai", "mexican", "french"};
  private static final String INSTRUCTIONS = "Stir and simmer. ".repeat(12);

  private final ScratchDatabase database;
  private final int userCount;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Connection> connection = ThreadLocal.withInitial(this::open);
  final LongAdder databaseReads = new LongAdder();
  final LongAdder databaseWrites = new LongAdder();

  SeedTables(ScratchDatabase database, Path schemaYaml, int users, int recipes) throws IOException, SQLException {
    this.database = database;
    for (String statement : seedDdl(schemaYaml)) {
      database.execute(statement);
    }
    database.execute("INSERT INTO users (email, display_name) SELECT 'user' || g || '@example.org', 'User ' || g"
        + " FROM generate_series(1, " + users + ") g");
    database.execute("INSERT INTO recipes (user_id, title, cuisine_type, difficulty_level, instructions)"
        + " SELECT (g % " + users + ") + 1, 'Recipe ' || g, (ARRAY['italian','thai','mexican','french'])[g % 4 + 1],"
        + " g % 5 + 1, repeat('Stir and simmer. ', 12) FROM generate_series(1, " + recipes + ") g");
    database.execute("ANALYZE users");
    database.execute("ANALYZE recipes");
    this.userCount = users;
  }

  /** The users and recipes statements of the seed's V1 migration, as written there. */
  static List<String> seedDdl(Path schemaYaml) throws IOException {
    List<String> lines = Files.readAllLines(schemaYaml);
    StringBuilder sql = new StringBuilder();
    boolean inV1 = false;
    for (String line : lines) {
      if (line.trim().startsWith("V1__")) {
        inV1 = true;
      } else if (inV1 && !line.isBlank() && !line.startsWith("    ")) {
        break;
      } else if (inV1) {
        sql.append(line.length() >= 4 ? line.substring(4) : line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String statement : sql.toString().split(";")) {
      String trimmed = statement.trim();
      if (trimmed.startsWith("CREATE TABLE users") || trimmed.startsWith("CREATE TABLE recipes")
          || trimmed.contains(" ON recipes ")) {
        statements.add(trimmed);
      }
    }
    if (statements.size() != 3) {
      throw new IllegalStateException("expected users, recipes and its index in " + schemaYaml + ", found " + statements);
    }
    return statements;
  }

  /** A user profile as cached: email and display name. */
  static String userValue(long id, String displayName) {
    return "user" + id + "@example.org\u001f" + displayName;
  }

  /** A recipe as cached: the row's columns; only the title changes in this workload. */
  String recipeValue(long id, String title) {
    return ((id % userCount) + 1) + "\u001f" + title + "\u001f" + CUISINES[(int) (id % 4)] + "\u001f" + (id % 5 + 1)
        + "\u001f" + INSTRUCTIONS;
  }

  final CacheBacking<String> users = new CacheBacking<>() {
    @Override
    public Optional<String> load(String id) throws SQLException {
      databaseReads.increment();
      try (PreparedStatement select = connection.get().prepareStatement(
          "SELECT email, display_name FROM users WHERE id = ?")) {
        select.setLong(1, Long.parseLong(id));
        try (ResultSet row = select.executeQuery()) {
          return row.next() ? Optional.of(row.getString(1) + "\u001f" + row.getString(2)) : Optional.empty();
        }
      }
    }

    @Override
    public void write(Map<String, String> values) throws SQLException {
      write(values, () -> { });
    }

    @Override
    public void write(Map<String, String> values, Runnable beforeCommit) throws SQLException {
      update("UPDATE users SET display_name = ? WHERE id = ?", values, beforeCommit);
    }
  };

  final CacheBacking<String> recipes = new CacheBacking<>() {
    @Override
    public Optional<String> load(String id) throws SQLException {
      databaseReads.increment();
      try (PreparedStatement select = connection.get().prepareStatement(
          "SELECT user_id, title, cuisine_type, difficulty_level, instructions FROM recipes WHERE id = ?")) {
        select.setLong(1, Long.parseLong(id));
        try (ResultSet row = select.executeQuery()) {
          return row.next()
              ? Optional.of(row.getLong(1) + "\u001f" + row.getString(2) + "\u001f" + row.getString(3) + "\u001f"
                  + row.getShort(4) + "\u001f" + row.getString(5))
              : Optional.empty();
        }
      }
    }

    @Override
    public void write(Map<String, String> values) throws SQLException {
      write(values, () -> { });
    }

    @Override
    public void write(Map<String, String> values, Runnable beforeCommit) throws SQLException {
      update("UPDATE recipes SET title = ?, updated_at = now() WHERE id = ?", values, beforeCommit);
    }
  };

  /**
   * One transaction; the changed column is the value's second field (display name, title). Rows are updated in id
   * order so concurrent batches lock them in the same order (no deadlocks).
   */
  private void update(String sql, Map<String, String> values, Runnable beforeCommit) throws SQLException {
    Connection db = connection.get();
    db.setAutoCommit(false);
    try (PreparedStatement update = db.prepareStatement(sql)) {
      for (var entry : new java.util.TreeMap<>(values).entrySet()) {
        update.setString(1, entry.getValue().split("\u001f", 3)[1]);
        update.setLong(2, Long.parseLong(entry.getKey()));
        update.addBatch();
      }
      update.executeBatch();
      beforeCommit.run();
      db.commit();
      databaseWrites.add(values.size());
    } catch (SQLException e) {
      db.rollback();
      throw e;
    }
  }

  /** A connection of the caller's own (closed by the caller). */
  Connection newConnection() throws SQLException {
    return database.connect();
  }

  private Connection open() {
    try {
      Connection opened = database.connect();
      opened.prepareStatement("SELECT 1").execute();
      connections.add(opened);
      return opened;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws SQLException {
    for (Connection open : connections) {
      open.close();
    }
  }
}
