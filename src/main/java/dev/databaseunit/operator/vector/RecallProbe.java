package dev.databaseunit.operator.vector;

import com.pgvector.PGvector;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Measures an index against the truth: query vectors sampled from the table itself (with a little noise, so a
 * query is near real data without being a stored row), the index's top k with the configured ef_search against
 * the exact top k from a scan with index scans disabled, both in one snapshot so they see the same rows.
 */
public final class RecallProbe {
  /** Noise added to each sampled vector, relative to the size of an average component. */
  private static final double NOISE = 0.05;

  /**
   * @param recallAtK mean recall@k over the queries
   * @param p50Millis median latency of the index queries
   * @param p95Millis 95th percentile latency of the index queries
   */
  public record Result(Instant time, int queries, double recallAtK, double p50Millis, double p95Millis) {}

  private final int queries;
  private final int k;
  private final Random random;

  public RecallProbe(int queries, int k, Random random) {
    this.queries = queries;
    this.k = k;
    this.random = random;
  }

  /**
   * @param latencies receives the latency of each index query (for a timer with percentiles)
   * @return empty when the table has no vectors to sample
   */
  public Optional<Result> run(Connection connection, VectorTable table, HnswParameters index, int efSearch,
      Instant now, Consumer<Duration> latencies) throws SQLException {
    List<float[]> sample = sampleQueries(connection, table, index.column());
    if (sample.isEmpty()) {
      return Optional.empty();
    }
    List<List<String>> exact = new ArrayList<>();
    List<List<String>> approximate = new ArrayList<>();
    double[] millis = new double[sample.size()];
    boolean autoCommit = connection.getAutoCommit();
    int isolation = connection.getTransactionIsolation();
    connection.setAutoCommit(false);
    connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try {
      for (int i = 0; i < sample.size(); i++) {
        long start = System.nanoTime();
        approximate.add(nearest(connection, table, index, sample.get(i), k, OptionalInt.of(efSearch)));
        long elapsed = System.nanoTime() - start;
        millis[i] = elapsed / 1e6;
        latencies.accept(Duration.ofNanos(elapsed));
        exact.add(nearest(connection, table, index, sample.get(i), k, OptionalInt.empty()));
        connection.commit();
      }
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setTransactionIsolation(isolation);
      connection.setAutoCommit(autoCommit);
    }
    return Optional.of(new Result(now, sample.size(), RecallMath.recallAtK(exact, approximate, k),
        RecallMath.percentile(millis, 0.5), RecallMath.percentile(millis, 0.95)));
  }

  /**
   * The k nearest rows (as ctids) by the index's distance, inside the caller's transaction: through the HNSW
   * index with the given ef_search (sequential scans off, so the planner cannot avoid the index on a small
   * table), or, without ef_search, exactly (index scans off).
   */
  public static List<String> nearest(Connection connection, VectorTable table, HnswParameters index, float[] query, int k,
      OptionalInt efSearch) throws SQLException {
    if (efSearch.isPresent()) {
      setLocal(connection, "hnsw.ef_search", Integer.toString(efSearch.getAsInt()), "enable_seqscan", "off",
          "enable_indexscan", "on");
    } else {
      setLocal(connection, "enable_seqscan", "on", "enable_indexscan", "off", "enable_bitmapscan", "off");
    }
    String sql = "SELECT ctid::text FROM " + table.quoted() + " ORDER BY " + SqlIdentifier.quote(index.column())
        + " " + index.distanceOperator() + " ? LIMIT " + k;
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setObject(1, new PGvector(query));
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    }
  }

  /** A Bernoulli sample sized from the planner's row estimate, so a large table is not read in full. */
  public List<float[]> sampleQueries(Connection connection, VectorTable table, String column) throws SQLException {
    double rows;
    try (PreparedStatement ps = connection.prepareStatement("SELECT reltuples FROM pg_catalog.pg_class WHERE oid = ?::oid")) {
      ps.setLong(1, table.oid());
      try (ResultSet rs = ps.executeQuery()) {
        rows = rs.next() ? rs.getDouble(1) : -1;
      }
    }
    double percent = rows <= 0 ? 100 : Math.min(100, 100.0 * queries * 20 / rows);
    List<float[]> sample = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement("SELECT " + SqlIdentifier.quote(column) + "::text FROM "
        + table.quoted() + " TABLESAMPLE BERNOULLI (?) REPEATABLE (?) WHERE " + SqlIdentifier.quote(column)
        + " IS NOT NULL LIMIT ?")) {
      ps.setDouble(1, percent);
      ps.setInt(2, random.nextInt());
      ps.setInt(3, queries);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          sample.add(withNoise(new PGvector(rs.getString(1)).toArray()));
        }
      }
    }
    return sample;
  }

  private float[] withNoise(float[] vector) {
    double sumOfSquares = 0;
    for (float v : vector) {
      sumOfSquares += v * v;
    }
    double scale = NOISE * Math.sqrt(sumOfSquares / vector.length);
    float[] noisy = new float[vector.length];
    for (int i = 0; i < vector.length; i++) {
      noisy[i] = (float) (vector[i] + random.nextGaussian() * scale);
    }
    return noisy;
  }

  /** Transaction-local settings through set_config, so values travel as parameters. */
  static void setLocal(Connection connection, String... namesAndValues) throws SQLException {
    var sql = new StringBuilder("SELECT ");
    for (int i = 0; i < namesAndValues.length; i += 2) {
      sql.append(i == 0 ? "" : ", ").append("set_config(?, ?, true)");
    }
    try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
      for (int i = 0; i < namesAndValues.length; i++) {
        ps.setString(i + 1, namesAndValues[i]);
      }
      ps.execute();
    }
  }
}
