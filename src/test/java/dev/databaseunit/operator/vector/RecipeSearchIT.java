package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;

import com.pgvector.PGvector;
import dev.databaseunit.cache.client.search.RecipeSearch;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The seed's vector search query against the corrected one in {@link RecipeSearch}, on the seed's schema with
 * 2,000 clustered 1536-dim embeddings and an HNSW index with the seed's parameters.
 */
@WithLocalServices
class RecipeSearchIT {
  private static final int ROWS = 2000;
  private static final int CLUSTERS = 10;
  /** A quarter of the recipes are AI-processed, the rest are filtered out by the seed's business rule. */
  private static final int PROCESSED_EVERY = 4;
  private static final int WANTED = 20;
  private static final double MAX_DISTANCE = 0.8;

  /** The seed's query, verbatim but for bind parameters instead of %s. */
  private static final String SEED_QUERY = """
      WITH vector_candidates AS (
          SELECT
              recipe_id,
              embedding <=> ?::vector AS distance
          FROM recipe_embeddings
          WHERE embedding <=> ?::vector < 0.8
          ORDER BY embedding <=> ?::vector
          LIMIT 50
      ),
      recipe_details AS (
          SELECT
              r.id,
              r.title,
              r.cuisine_type,
              r.difficulty_level,
              vc.distance
          FROM vector_candidates vc
          JOIN recipes r ON r.id = vc.recipe_id
          WHERE r.ai_processed = true
      )
      SELECT * FROM recipe_details
      ORDER BY distance
      LIMIT 20""";

  @Test
  void theSeedsFormLosesResultsThatTheCorrectFormReturns(TestDatabase db) throws Exception {
    var embeddings = new ClusteredEmbeddings(CLUSTERS, RecipeData.DIMENSIONS, 7);
    try (Connection c = db.connect()) {
      RecipeData.createSchema(c);
      RecipeData.fill(c, embeddings, ROWS, PROCESSED_EVERY);
      try (Statement s = c.createStatement()) {
        s.execute("CREATE INDEX idx_recipe_embeddings_optimized ON recipe_embeddings USING hnsw (embedding vector_cosine_ops) "
            + "WITH (m = 16, ef_construction = 64)");
        s.execute("ANALYZE recipe_embeddings");
        s.execute("ANALYZE recipes");
      }

      int queries = 5;
      int seedTotal = 0;
      int correctTotal = 0;
      int truthTotal = 0;
      for (int q = 0; q < queries; q++) {
        float[] query = embeddings.next(q);
        List<Long> truth = exact(c, query);
        List<Long> seed = seedForm(c, query);
        List<RecipeSearch.Match> correct = RecipeSearch.similarRecipes(c, query, WANTED, MAX_DISTANCE, 40);

        assertThat(truth).as("the data has enough matching recipes for the query to be fair").hasSize(WANTED);
        assertThat(correct).extracting(RecipeSearch.Match::distance).isSorted().allMatch(d -> d < MAX_DISTANCE);
        assertThat(correct).extracting(RecipeSearch.Match::recipeId).allMatch(id -> (id - 1) / CLUSTERS % PROCESSED_EVERY == 0);
        var found = new HashSet<>(correct.stream().map(RecipeSearch.Match::recipeId).toList());
        found.retainAll(truth);
        assertThat(found.size()).as("the correct form finds the exact answer").isGreaterThanOrEqualTo(WANTED * 9 / 10);
        assertThat(seed).as("the seed's form returns only what ef_search candidates leave after the filters").hasSizeLessThan(WANTED);
        seedTotal += seed.size();
        correctTotal += correct.size();
        truthTotal += truth.size();
      }
      LoggerFactory.getLogger(RecipeSearchIT.class).info("{} queries: seed form {} rows, correct form {}, exact answer {}",
          queries, seedTotal, correctTotal, truthTotal);
      assertThat(correctTotal).isEqualTo(truthTotal);
      assertThat(seedTotal).isLessThan(correctTotal * 3 / 4);
      // The settings were transaction-local: the session is back to the database defaults.
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW hnsw.iterative_scan")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("off");
      }
    }
  }

  private static List<Long> seedForm(Connection c, float[] query) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SEED_QUERY)) {
      for (int i = 1; i <= 3; i++) {
        ps.setObject(i, new PGvector(query));
      }
      return ids(ps);
    }
  }

  /** The true answer: the same question by an exact scan (index scans off for this transaction). */
  private static List<Long> exact(Connection c, float[] query) throws SQLException {
    c.setAutoCommit(false);
    try {
      RecallProbe.setLocal(c, "enable_indexscan", "off", "enable_bitmapscan", "off");
      try (PreparedStatement ps = c.prepareStatement("""
          SELECT r.id FROM recipe_embeddings e JOIN recipes r ON r.id = e.recipe_id
          WHERE r.ai_processed AND e.embedding <=> ? < ? ORDER BY e.embedding <=> ? LIMIT ?""")) {
        ps.setObject(1, new PGvector(query));
        ps.setDouble(2, MAX_DISTANCE);
        ps.setObject(3, new PGvector(query));
        ps.setInt(4, WANTED);
        return ids(ps);
      }
    } finally {
      c.commit();
      c.setAutoCommit(true);
    }
  }

  private static List<Long> ids(PreparedStatement ps) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }
}
