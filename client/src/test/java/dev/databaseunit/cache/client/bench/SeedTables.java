package dev.databaseunit.cache.client.bench;

import com.pgvector.PGvector;
import dev.databaseunit.cache.client.CacheBacking;
import dev.databaseunit.cache.client.search.RecipeSearch;
import dev.databaseunit.cache.client.testing.ScratchDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The seed schema's tables behind the four cached types (DDL taken from samples/recipe-schema.yaml), filled with
 * deterministic rows: {@code users} (user_profiles), {@code recipes} (recipes), {@code user_taste_profiles} with
 * their 1536-dim taste vectors (taste_profiles), and clustered 1536-dim {@code recipe_embeddings} under the seed's
 * HNSW index, searched with {@link RecipeSearch} (search_results). Every row's changing column carries a version
 * {@code ver=<n>}, so a read can tell whether it returned the newest committed write. Each thread keeps its own
 * connection, as an application's pool would give it one.
 */
final class SeedTables implements AutoCloseable {
  private static final Pattern VERSION = Pattern.compile("ver=(\\d+)");
  private static final String SEP = " || chr(31) || ";
  private static final int CLUSTERS = 10;

  private final ScratchDatabase database;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Connection> connection = ThreadLocal.withInitial(this::open);
  final LongAdder databaseReads = new LongAdder();

  final Table users;
  final Table recipes;
  final Table tasteProfiles;
  final Search search;

  SeedTables(ScratchDatabase database, Path schemaYaml, int users, int recipes, int tasteProfiles, int embeddings,
      int queries) throws IOException, SQLException {
    this.database = database;
    database.execute("CREATE EXTENSION IF NOT EXISTS vector");
    for (String statement : seedDdl(schemaYaml)) {
      database.execute(statement);
    }
    database.execute("INSERT INTO users (email, display_name) SELECT 'user' || g || '@example.org', 'User ' || g"
        + " || ' ver=0' FROM generate_series(1, " + users + ") g");
    database.execute("INSERT INTO recipes (user_id, title, cuisine_type, difficulty_level, instructions, ai_processed)"
        + " SELECT (g % " + users + ") + 1, 'Recipe ' || g || ' ver=0', (ARRAY['italian','thai','mexican','french'])"
        + "[g % 4 + 1], g % 5 + 1, repeat('Stir and simmer. ', 12), g % 2 = 0 FROM generate_series(1, " + recipes + ") g");
    database.execute("INSERT INTO user_taste_profiles (user_id, preferences, taste_vector) SELECT g, jsonb_build_object("
        + "'cuisines', jsonb_build_array('thai', 'italian'), 'note', 'ver=0'), (SELECT array_agg(random() - 0.5)"
        + " FROM generate_series(1, 1536) WHERE g > 0)::vector FROM generate_series(1, " + tasteProfiles + ") g");
    // Clustered embeddings as in the vector benchmark: CLUSTERS random centres, each row its centre plus noise.
    database.execute("CREATE TABLE centres AS SELECT c, array_agg(random() - 0.5 ORDER BY d) AS v"
        + " FROM generate_series(0, " + (CLUSTERS - 1) + ") c, generate_series(1, 1536) d GROUP BY c");
    database.execute("INSERT INTO recipe_embeddings (recipe_id, embedding) SELECT g, (SELECT array_agg(v[d] +"
        + " (random() - 0.5) * 0.4 ORDER BY d) FROM generate_series(1, 1536) d)::vector"
        + " FROM generate_series(1, " + embeddings + ") g JOIN centres ON c = g % " + CLUSTERS);
    database.execute("CREATE INDEX idx_recipe_embeddings_optimized ON recipe_embeddings USING hnsw"
        + " (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)");
    for (String table : List.of("users", "recipes", "user_taste_profiles", "recipe_embeddings")) {
      database.execute("ANALYZE " + table);
    }
    this.users = new Table("users", "id", "email" + SEP + "display_name",
        "UPDATE users SET display_name = ? WHERE id = ?", 1);
    this.recipes = new Table("recipes", "id", "user_id::text" + SEP + "title" + SEP + "cuisine_type" + SEP
        + "difficulty_level::text" + SEP + "instructions", "UPDATE recipes SET title = ?, updated_at = now() WHERE id = ?", 1);
    this.tasteProfiles = new Table("user_taste_profiles", "user_id", "preferences::text" + SEP + "taste_vector::text",
        "UPDATE user_taste_profiles SET preferences = ?::jsonb, updated_at = now() WHERE user_id = ?", 0);
    this.search = new Search(queryVectors(queries));
  }

  /** The statements of the seed's V1 migration for the four tables (and recipes' index), as written there. */
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
      if (trimmed.matches("(?s)CREATE TABLE (users|recipes|recipe_embeddings|user_taste_profiles) .*")
          || trimmed.contains(" ON recipes ")) {
        statements.add(trimmed);
      }
    }
    if (statements.size() != 5) {
      throw new IllegalStateException("expected the four tables and recipes' index in " + schemaYaml + ", found " + statements);
    }
    return statements;
  }

  /** The version a cached value carries, -1 for values without one (search results). */
  static long version(String value) {
    Matcher matcher = VERSION.matcher(value);
    return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
  }

  /** {@code value} with its version replaced: what a write of version {@code version} stores. */
  static String withVersion(String value, long version) {
    return VERSION.matcher(value).replaceFirst("ver=" + version);
  }

  /** Some embeddings of the data, as search queries: each one's nearest neighbours are its cluster. */
  private List<float[]> queryVectors(int queries) throws SQLException {
    List<float[]> vectors = new ArrayList<>();
    try (Connection db = database.connect(); PreparedStatement select = db.prepareStatement(
        "SELECT embedding FROM recipe_embeddings ORDER BY recipe_id LIMIT ?")) {
      select.setInt(1, queries);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          vectors.add(new PGvector(rows.getString(1)).toArray());
        }
      }
    }
    return vectors;
  }

  /** Whatever the bench can cache: every id's value, for prefilling Redis. */
  interface Source extends CacheBacking<String> {
    Map<String, String> all() throws Exception;
  }

  /**
   * One table as a cached type: the value is the columns joined by U+001F, computed in SQL so that a single-row load
   * and {@link #all()} agree; a write changes the value's field {@code changedField} (one column), in one
   * transaction, rows in id order so that concurrent batches lock them in the same order (no deadlocks).
   */
  final class Table implements Source {
    private final String selectOne;
    private final String selectAll;
    private final String update;
    private final int changedField;

    private Table(String table, String idColumn, String valueSql, String update, int changedField) {
      this.selectOne = "SELECT " + valueSql + " FROM " + table + " WHERE " + idColumn + " = ?";
      this.selectAll = "SELECT " + idColumn + ", " + valueSql + " FROM " + table;
      this.update = update;
      this.changedField = changedField;
    }

    @Override
    public Optional<String> load(String id) throws SQLException {
      databaseReads.increment();
      try (PreparedStatement select = connection.get().prepareStatement(selectOne)) {
        select.setLong(1, Long.parseLong(id));
        try (ResultSet row = select.executeQuery()) {
          return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
        }
      }
    }

    @Override
    public Map<String, String> all() throws SQLException {
      Map<String, String> values = new LinkedHashMap<>();
      try (Connection db = database.connect(); ResultSet rows = db.createStatement().executeQuery(selectAll)) {
        while (rows.next()) {
          values.put(rows.getString(1), rows.getString(2));
        }
      }
      return values;
    }

    @Override
    public void write(Map<String, String> values) throws SQLException {
      write(values, () -> { });
    }

    @Override
    public void write(Map<String, String> values, Runnable beforeCommit) throws SQLException {
      Connection db = connection.get();
      db.setAutoCommit(false);
      try (PreparedStatement statement = db.prepareStatement(update)) {
        for (var entry : new TreeMap<>(values).entrySet()) {
          statement.setString(1, entry.getValue().split("\u001f", -1)[changedField]);
          statement.setLong(2, Long.parseLong(entry.getKey()));
          statement.addBatch();
        }
        statement.executeBatch();
        beforeCommit.run();
        db.commit();
      } catch (SQLException e) {
        db.rollback();
        throw e;
      } finally {
        db.setAutoCommit(true);
      }
    }
  }

  /**
   * search_results: query {@code i} is the i-th query vector; its value is the matches' ids and distances (titles
   * come from the recipes cache, so renaming a recipe does not make a search result stale). Read-only: a "write" is
   * the application's manual invalidation.
   */
  final class Search implements Source {
    private final List<float[]> queries;

    private Search(List<float[]> queries) {
      this.queries = queries;
    }

    int size() {
      return queries.size();
    }

    @Override
    public Optional<String> load(String id) throws SQLException {
      databaseReads.increment();
      List<RecipeSearch.Match> matches = RecipeSearch.similarRecipes(connection.get(), queries.get(Integer.parseInt(id)),
          20, 0.8, 40);
      return Optional.of(matches.stream().map(m -> m.recipeId() + ":" + (float) m.distance())
          .collect(Collectors.joining(",")));
    }

    @Override
    public Map<String, String> all() throws SQLException {
      Map<String, String> values = new LinkedHashMap<>();
      for (int i = 0; i < queries.size(); i++) {
        values.put(String.valueOf(i), load(String.valueOf(i)).orElseThrow());
      }
      return values;
    }
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
