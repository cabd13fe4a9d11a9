package dev.databaseunit.operator.backup;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.TreeMap;

/**
 * The seed's recipe schema (samples/recipe-schema.yaml, applied in migration order) filled with generated rows,
 * including 1536-dimension embeddings under an HNSW index: realistic data for backups and restore tests.
 */
public final class RecipeData {
  private RecipeData() {}

  public static void load(Connection c, int users, int recipesPerUser) throws SQLException, IOException {
    load(c, users, recipesPerUser, 1);
  }

  /** @param embeddingEvery one recipe in this many gets an embedding (6 KB each), to scale data without vectors dominating */
  public static void load(Connection c, int users, int recipesPerUser, int embeddingEvery) throws SQLException, IOException {
    try (var st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS vector");
      for (String sql : migrations().values()) {
        st.execute(sql);
      }
      st.execute("INSERT INTO users (email, display_name) SELECT 'user' || g || '@example.com', 'User ' || g "
          + "FROM generate_series(1, " + users + ") g");
      st.execute("INSERT INTO recipes (user_id, title, cuisine_type, difficulty_level, instructions) "
          + "SELECT u.id, 'Recipe ' || u.id || '-' || r, (ARRAY['italian','thai','mexican','french'])[1 + r % 4], 1 + r % 5, "
          + "repeat('Stir, taste, season. ', 20 + r % 30) FROM users u, generate_series(1, " + recipesPerUser + ") r");
      st.execute("INSERT INTO recipe_embeddings (recipe_id, embedding) SELECT id, "
          + "(SELECT array_agg(random()::real) FROM generate_series(1, 1536) WHERE r.id > 0)::vector FROM recipes r "
          + "WHERE r.id % " + embeddingEvery + " = 0");
      st.execute("INSERT INTO parsed_ingredients (recipe_id, name, quantity, unit) "
          + "SELECT id, (ARRAY['flour','basil','lime','butter'])[1 + i], i * 1.5, 'g' FROM recipes, generate_series(0, 3) i");
      st.execute("INSERT INTO consents (user_id, purpose, version, granted) SELECT id, 'marketing', 'v1', id % 2 = 0 FROM users");
      st.execute("CREATE INDEX recipe_embeddings_hnsw ON recipe_embeddings USING hnsw (embedding vector_cosine_ops)");
      st.execute("ANALYZE");
    }
  }

  /** Migration scripts by file name, which sorts V1 before V2 for this sample. */
  private static TreeMap<String, String> migrations() throws IOException {
    Path sample = Path.of(System.getProperty("user.dir"), "samples", "recipe-schema.yaml");
    ConfigMap map = new KubernetesSerialization().unmarshal(Files.readString(sample), ConfigMap.class);
    return new TreeMap<>(map.getData());
  }
}
