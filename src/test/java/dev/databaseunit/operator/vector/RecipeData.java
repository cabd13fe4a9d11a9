package dev.databaseunit.operator.vector;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** The seed's recipe schema from {@code samples/recipe-schema.yaml}, filled with synthetic recipes and embeddings. */
final class RecipeData {
  static final int DIMENSIONS = 1536;

  private RecipeData() {}

  /** Creates the schema (migration V1) in the test database. */
  static void createSchema(Connection connection) throws IOException, SQLException {
    var configMap = new KubernetesSerialization().unmarshal(Files.readString(Path.of("samples/recipe-schema.yaml")), ConfigMap.class);
    try (Statement s = connection.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector");
      s.execute(configMap.getData().get("V1__recipe_app.sql"));
    }
  }

  /**
   * One user, {@code rows} recipes and one embedding each, in clusters: recipe id i belongs to cluster
   * (i-1) mod clusters, and every {@code processedEvery}-th recipe of each cluster is AI-processed.
   */
  static void fill(Connection connection, ClusteredEmbeddings embeddings, int rows, int processedEvery)
      throws IOException, SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("INSERT INTO users (email) VALUES ('cook@example.test')");
      s.execute("INSERT INTO recipes (user_id, title, cuisine_type, difficulty_level, ai_processed) "
          + "SELECT 1, 'recipe ' || i, 'cuisine ' || (i % 7), 1 + i % 5, (i - 1) / " + embeddings.clusters() + " % " + processedEvery + " = 0 FROM generate_series(1, " + rows + ") i");
      s.execute("CREATE TEMP TABLE staged (n bigint GENERATED ALWAYS AS IDENTITY, embedding vector(" + DIMENSIONS + "))");
    }
    embeddings.load(connection, "staged", "embedding", rows);
    try (Statement s = connection.createStatement()) {
      s.execute("INSERT INTO recipe_embeddings (recipe_id, embedding) SELECT n, embedding FROM staged");
      s.execute("DROP TABLE staged");
    }
  }
}
