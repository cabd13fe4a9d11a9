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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Measures an index against the truth: query vectors sampled from the table itself (with a little noise, so a
 * query is near real data without being a stored row), the index's top k at each ef_search the search asks for
 * against the exact top k from a scan with index scans disabled, all in one snapshot so they see the same rows.
 */
public final class RecallProbe {
  /** Noise added to each sampled vector, relative to the size of an average component. */
  private static final double NOISE = 0.05;

  /**
   * What ef_search to search for and where: {@code floor == cap} measures one fixed value.
   *
   * @param target the recall@k to reach
   */
  public record Range(double target, int floor, int cap) {}

  /**
   * @param queries the query vectors sampled (0: the table had none, nothing was measured)
   * @param efSearch the ef_search chosen: the smallest meeting the target, else the best measured
   * @param met whether efSearch meets the target
   * @param recallAtK mean recall@k at efSearch
   * @param p50Millis median latency of the index queries at efSearch
   * @param p95Millis 95th percentile latency of the index queries at efSearch
   * @param curve recall@k by each ef_search measured
   * @param probeQueries every query the probe ran: one exact scan per sampled vector, one index scan per vector and point
   * @param probeMillis the probe's wall time
   * @param writesAtProbe rows inserted, updated and deleted in the table since the statistics began, at the probe
   */
  public record Result(Instant time, Range range, int queries, int efSearch, boolean met, double recallAtK, double p50Millis,
      double p95Millis, SortedMap<Integer, Double> curve, int probeQueries, long probeMillis, long writesAtProbe) {

    /** A table without vectors: the time is kept so the probe waits for its interval, nothing else is known. */
    public static Result nothingToMeasure(Instant time, Range range, long writes) {
      return new Result(time, range, 0, range.floor(), false, Double.NaN, Double.NaN, Double.NaN, new TreeMap<>(), 0, 0, writes);
    }
  }

  private final int queries;
  private final int k;
  private final Random random;

  public RecallProbe(int queries, int k, Random random) {
    this.queries = queries;
    this.k = k;
    this.random = random;
  }

  /**
   * Searches {@code range} with {@link EfSearchTuning} for the smallest ef_search meeting the target. The exact
   * answers are computed once and every point is measured against them, all in one repeatable-read snapshot, so the
   * points compare with each other and with the truth. The cost is bounded by the search: queries exact scans plus
   * queries index scans per point (at most about log2(cap/floor) + 4 points).
   *
   * @param latencies receives the latency of each index query at the chosen ef_search (for a timer with percentiles)
   * @return with no queries when the table has no vectors to sample
   */
  public Result tune(Connection connection, VectorTable table, HnswParameters index, Range range, Instant now,
      Consumer<Duration> latencies) throws SQLException {
    long started = System.nanoTime();
    long writes = VectorCatalog.writes(connection, table.oid());
    List<float[]> sample = sampleQueries(connection, table, index.column());
    if (sample.isEmpty()) {
      return Result.nothingToMeasure(now, range, writes);
    }
    SortedMap<Integer, Double> curve = new TreeMap<>();
    Map<Integer, double[]> millisByPoint = new HashMap<>();
    EfSearchTuning.Step step;
    boolean autoCommit = connection.getAutoCommit();
    int isolation = connection.getTransactionIsolation();
    connection.setAutoCommit(false);
    connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try {
      List<List<String>> exact = new ArrayList<>();
      for (float[] query : sample) {
        exact.add(nearest(connection, table, index, query, k, OptionalInt.empty()));
      }
      while ((step = EfSearchTuning.next(curve, range.target(), range.floor(), range.cap())) instanceof EfSearchTuning.Measure(int ef)) {
        List<List<String>> approximate = new ArrayList<>();
        double[] millis = new double[sample.size()];
        for (int i = 0; i < sample.size(); i++) {
          long start = System.nanoTime();
          approximate.add(nearest(connection, table, index, sample.get(i), k, OptionalInt.of(ef)));
          millis[i] = (System.nanoTime() - start) / 1e6;
        }
        curve.put(ef, RecallMath.recallAtK(exact, approximate, k));
        millisByPoint.put(ef, millis);
      }
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setTransactionIsolation(isolation);
      connection.setAutoCommit(autoCommit);
    }
    int chosen = switch (step) {
      case EfSearchTuning.Met met -> met.efSearch();
      case EfSearchTuning.Unreachable none -> none.efSearch();
      case EfSearchTuning.Measure m -> throw new IllegalStateException("unreachable: the loop measures every Measure");
    };
    double[] millis = millisByPoint.get(chosen);
    for (double m : millis) {
      latencies.accept(Duration.ofNanos((long) (m * 1e6)));
    }
    return new Result(now, range, sample.size(), chosen, step instanceof EfSearchTuning.Met, curve.get(chosen),
        RecallMath.percentile(millis, 0.5), RecallMath.percentile(millis, 0.95), curve, sample.size() * (1 + curve.size()),
        (System.nanoTime() - started) / 1_000_000, writes);
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
    // Two statement texts: the driver prepares a statement used often on the server, whose cached plan keeps the
    // scan chosen under the settings of its first executions; the index and the exact scan must not share one.
    String sql = "SELECT " + (efSearch.isPresent() ? "" : "/* exact */ ") + "ctid::text FROM " + table.quoted() + " ORDER BY " + SqlIdentifier.quote(index.column())
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
