package dev.databaseunit.cache.client.search;

import com.pgvector.PGvector;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The seed's recipe similarity search (section "Optimized Vector Search Pattern"), done so that it returns
 * what it promises: the {@code limit} nearest AI-processed recipes closer than {@code maxDistance}.
 *
 * <p>The seed's form
 * <pre>
 * WITH vector_candidates AS (
 *   SELECT recipe_id, embedding &lt;=&gt; q AS distance FROM recipe_embeddings
 *   WHERE embedding &lt;=&gt; q &lt; 0.8 ORDER BY embedding &lt;=&gt; q LIMIT 50)
 * ... JOIN recipes r ... WHERE r.ai_processed ... LIMIT 20
 * </pre>
 * loses results with an HNSW index, because an HNSW scan yields only about {@code hnsw.ef_search} (default 40)
 * candidates and every filter is applied after that: the threshold inside the CTE, then {@code ai_processed}
 * outside it. With 40 candidates and a quarter of the recipes processed, about 10 of the wanted 20 come back,
 * although many more matching recipes are in the table.
 *
 * <p>This form (a) puts the business filter into the index-ordered query and lets pgvector 0.8's iterative
 * scan ({@code hnsw.iterative_scan = relaxed_order}) keep walking the graph until {@code limit} rows pass it,
 * (b) keeps ORDER BY/LIMIT inside a {@code MATERIALIZED} CTE, so the planner cannot push the distance
 * threshold into the scan (a threshold inside an iterative scan would make it walk the graph up to
 * {@code hnsw.max_scan_tuples} whenever fewer rows are near), and (c) applies the threshold and the final
 * order outside, which also re-sorts what relaxed order returned slightly out of order. The settings are
 * {@code SET LOCAL}, so they end with the transaction and never leak into a pooled session.
 *
 * <p>Application code (a search whose results the cache's {@code search_results} type holds), so it lives in the
 * client library; its own source root lets the operator's tests compile it too without the operator depending on
 * the client. Needs the PostgreSQL driver and pgvector's {@code PGvector} on the application's classpath.
 */
public final class RecipeSearch {
  private static final String SETTINGS =
      "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', ?, true)";
  private static final String QUERY = """
      WITH nearest AS MATERIALIZED (
        SELECT r.id, r.title, r.cuisine_type, r.difficulty_level, e.embedding <=> ? AS distance
        FROM recipe_embeddings e
        JOIN recipes r ON r.id = e.recipe_id
        WHERE r.ai_processed
        ORDER BY e.embedding <=> ?
        LIMIT ?
      )
      SELECT id, title, cuisine_type, difficulty_level, distance
      FROM nearest
      WHERE distance < ?
      ORDER BY distance""";

  /** One recipe found, nearest first. */
  public record Match(long recipeId, String title, String cuisineType, Integer difficultyLevel, double distance) {}

  private RecipeSearch() {}

  /**
   * The {@code limit} nearest AI-processed recipes whose cosine distance to the query is below {@code maxDistance}.
   * Runs in its own transaction on the given connection (its auto-commit mode is restored).
   *
   * @param efSearch the candidate list of each step of the iterative scan (the database default is 40)
   */
  public static List<Match> similarRecipes(Connection connection, float[] query, int limit, double maxDistance, int efSearch)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      try (PreparedStatement settings = connection.prepareStatement(SETTINGS)) {
        settings.setString(1, Integer.toString(efSearch));
        settings.execute();
      }
      List<Match> matches = new ArrayList<>();
      try (PreparedStatement ps = connection.prepareStatement(QUERY)) {
        var vector = new PGvector(query);
        ps.setObject(1, vector);
        ps.setObject(2, vector);
        ps.setInt(3, limit);
        ps.setDouble(4, maxDistance);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int difficulty = rs.getInt(4);
            matches.add(new Match(rs.getLong(1), rs.getString(2), rs.getString(3), rs.wasNull() ? null : difficulty, rs.getDouble(5)));
          }
        }
      }
      connection.commit();
      return matches;
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }
}
