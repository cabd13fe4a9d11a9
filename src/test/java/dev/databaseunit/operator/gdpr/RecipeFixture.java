package dev.databaseunit.operator.gdpr;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The seed's recipe schema, created from samples/recipe-schema.yaml (the Flyway migrations the sample unit
 * applies), filled with users who each have recipes, embeddings, ingredients, a taste profile, sessions,
 * export requests and consents. Values carry quotes, commas, percent signs and non-ASCII text on purpose.
 */
public final class RecipeFixture {
  public static final Path SCHEMA = Path.of("samples/recipe-schema.yaml");
  /** spec.gdpr.subjectTables of a unit on this schema (deletion order), as YAML at column 0: indent it under gdpr:. */
  public static final String SUBJECT_TABLES_YAML = """
      subjectTables:
        - {table: user_sessions, subjectColumn: user_id}
        - {table: data_export_requests, subjectColumn: user_id}
        - table: parsed_ingredients
          via: {column: recipe_id, parentTable: recipes, parentKey: id, subjectColumn: user_id}
        - table: recipe_embeddings
          via: {column: recipe_id, parentTable: recipes, parentKey: id, subjectColumn: user_id}
        - {table: recipes, subjectColumn: user_id}
        - {table: user_taste_profiles, subjectColumn: user_id}
        - {table: consents, subjectColumn: user_id}
        - {table: users, subjectColumn: id}
      """;

  private RecipeFixture() {}

  /** Runs the sample's migrations in version order (V1, V2, ...), after creating pgvector. */
  public static void createSchema(Connection c) throws SQLException, IOException {
    ConfigMap configMap;
    try (InputStream in = Files.newInputStream(SCHEMA)) {
      configMap = new KubernetesSerialization().unmarshal(in, ConfigMap.class);
    }
    var migrations = new TreeMap<Integer, String>();
    configMap.getData().forEach((name, sql) -> migrations.put(Integer.parseInt(name.substring(1, name.indexOf("__"))), sql));
    try (var s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector");
      for (String sql : migrations.values()) {
        s.execute(sql);
      }
    }
  }

  /** A user with {@code recipes} recipes (each with an embedding when {@code dimensions > 0}, and ingredients). */
  public static long addUser(Connection c, String email, int recipes, int ingredientsPerRecipe, boolean embeddings)
      throws SQLException {
    long id;
    try (var ps = c.prepareStatement("INSERT INTO users (email, display_name) VALUES (?, ?) RETURNING id")) {
      ps.setString(1, email);
      ps.setString(2, "Zoë \"Chef\" O'Neil, 50%");
      try (var rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    run(c, """
        INSERT INTO recipes (user_id, title, cuisine_type, difficulty_level, instructions, ai_processed)
        SELECT ?, 'Recipe ' || g || ' of user ' || ?, (ARRAY['italian','thai','mexican'])[1 + g % 3], 1 + g % 5,
               E'Stir, don''t "burn";\\nserve at 50% heat — crème', g % 2 = 0
          FROM generate_series(1, ?) g""", id, id, recipes);
    if (embeddings) {
      run(c, """
          INSERT INTO recipe_embeddings (recipe_id, embedding)
          SELECT r.id, (SELECT array_agg(random()::real) FROM generate_series(1, 1536 + 0 * r.id))::vector
            FROM recipes r WHERE r.user_id = ?""", id);
    }
    run(c, """
        INSERT INTO parsed_ingredients (recipe_id, name, quantity, unit)
        SELECT r.id, 'ingredient ' || g || ', "fresh"', g * 1.5, 'g' FROM recipes r, generate_series(1, ?) g
         WHERE r.user_id = ?""", ingredientsPerRecipe, id);
    run(c, """
        INSERT INTO user_taste_profiles (user_id, preferences, taste_vector)
        VALUES (?, '{"spicy": true, "note": "naïve café, 100%"}',
                (SELECT array_agg(random()::real) FROM generate_series(1, 1536))::vector)""", id);
    run(c, """
        INSERT INTO user_sessions (id, user_id, user_agent)
        SELECT gen_random_uuid(), ?, 'Mozilla/5.0 ("quoted", ok)' FROM generate_series(1, 3)""", id);
    run(c, "INSERT INTO data_export_requests (user_id, status) VALUES (?, 'completed')", id);
    run(c, """
        INSERT INTO consents (user_id, purpose, version, granted)
        VALUES (?, 'recommendations', 'v1', true), (?, 'recommendations', 'v2', false), (?, 'newsletter', 'v1', true)""",
        id, id, id);
    return id;
  }

  /** Rows per subject table in the whole database. */
  public static Map<String, Long> tableCounts(Connection c) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String table : SubjectPlan.seedDefault().tableNames()) {
      try (var s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM " + table)) {
        rs.next();
        counts.put(table, rs.getLong(1));
      }
    }
    return counts;
  }

  /** Rows of one user per subject table, by hand-written SQL (independent of the code under test). */
  public static Map<String, Long> userCounts(Connection c, long userId) throws SQLException {
    Map<String, String> sql = new LinkedHashMap<>();
    sql.put("user_sessions", "SELECT count(*) FROM user_sessions WHERE user_id = ?");
    sql.put("data_export_requests", "SELECT count(*) FROM data_export_requests WHERE user_id = ?");
    sql.put("parsed_ingredients", "SELECT count(*) FROM parsed_ingredients p JOIN recipes r ON r.id = p.recipe_id WHERE r.user_id = ?");
    sql.put("recipe_embeddings", "SELECT count(*) FROM recipe_embeddings e JOIN recipes r ON r.id = e.recipe_id WHERE r.user_id = ?");
    sql.put("recipes", "SELECT count(*) FROM recipes WHERE user_id = ?");
    sql.put("user_taste_profiles", "SELECT count(*) FROM user_taste_profiles WHERE user_id = ?");
    sql.put("consents", "SELECT count(*) FROM consents WHERE user_id = ?");
    sql.put("users", "SELECT count(*) FROM users WHERE id = ?");
    Map<String, Long> counts = new LinkedHashMap<>();
    for (var e : sql.entrySet()) {
      try (var ps = c.prepareStatement(e.getValue())) {
        ps.setLong(1, userId);
        try (var rs = ps.executeQuery()) {
          rs.next();
          counts.put(e.getKey(), rs.getLong(1));
        }
      }
    }
    return counts;
  }

  private static void run(Connection c, String sql, Object... params) throws SQLException {
    try (var ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.executeUpdate();
    }
  }
}
