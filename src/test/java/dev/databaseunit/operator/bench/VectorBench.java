package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.vector.ClusteredEmbeddings;
import dev.databaseunit.operator.vector.HnswParameters;
import dev.databaseunit.operator.vector.IndexDdl;
import dev.databaseunit.operator.vector.RecallMath;
import dev.databaseunit.operator.vector.RecallProbe;
import dev.databaseunit.operator.vector.VectorCatalog;
import dev.databaseunit.operator.vector.VectorTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * HNSW (as the operator builds it: CREATE INDEX CONCURRENTLY, m=16, ef_construction=64) against the exact scan
 * it replaces, on synthetic clustered 1536-dim embeddings: build time, then recall@10 and latency at several
 * ef_search values, measured with the operator's own probe queries. Writes a markdown table.
 *
 * <p>Arguments: rows, output file. Runs on the local PostgreSQL in a scratch database that it drops at the end.
 */
public final class VectorBench {
  private static final int DIMENSIONS = 1536;
  private static final int QUERIES = 50;
  private static final int K = 10;
  private static final int[] EF_SEARCH = {20, 40, 80, 160};
  private static final String DATABASE = "du_bench_vector";
  private static final String MAINTENANCE_WORK_MEM = "3GB";
  private static final String INDEX = "items_embedding_hnsw";
  /** m and ef_construction of each build: the seed's, then a denser candidate list at build time. */
  private static final int[][] BUILDS = {{16, 64}, {16, 128}};

  public static void main(String[] args) throws Exception {
    int rows = Integer.parseInt(args[0]);
    Path out = Path.of(args[1]);
    var services = LocalServices.get();
    String server = "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/";
    admin(server, services, "DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
    admin(server, services, "CREATE DATABASE " + DATABASE);
    try (Connection c = DriverManager.getConnection(server + DATABASE, services.postgresUser(), services.postgresPassword())) {
      out.toFile().getParentFile().mkdirs();
      Files.writeString(out, run(c, rows));
    } finally {
      admin(server, services, "DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
    }
    System.out.println(Files.readString(out));
  }

  private static String run(Connection c, int rows) throws Exception {
    String loadBefore = loadAverage();
    int clusters = Math.max(10, rows / 1000);
    execute(c, "CREATE EXTENSION vector");
    execute(c, "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, embedding vector(" + DIMENSIONS + ") NOT NULL)");
    long start = System.nanoTime();
    new ClusteredEmbeddings(clusters, DIMENSIONS, 20260301).load(c, "items", "embedding", rows);
    execute(c, "VACUUM ANALYZE items");
    Duration load = Duration.ofNanos(System.nanoTime() - start);
    log("loaded %d rows in %s", rows, load);

    var spec = new VectorIndexSpec(INDEX, "items", "embedding", DIMENSIONS, VectorIndexSpec.Opclass.COSINE, 16, 64, 40, null, null, null, null);
    VectorTable table = VectorCatalog.validate(c, spec);
    List<float[]> queries = new RecallProbe(QUERIES, K, new Random(42)).sampleQueries(c, table, "embedding");

    // The truth and the baseline's latency, once: an exact scan does not depend on the index.
    c.setAutoCommit(false);
    HnswParameters exactColumn = HnswParameters.of(spec);
    for (int i = 0; i < 3; i++) {
      RecallProbe.nearest(c, table, exactColumn, queries.get(i), K, OptionalInt.empty());
      c.commit();
    }
    List<List<String>> truth = new ArrayList<>();
    double[] exactMillis = new double[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      long t = System.nanoTime();
      truth.add(RecallProbe.nearest(c, table, exactColumn, queries.get(i), K, OptionalInt.empty()));
      exactMillis[i] = (System.nanoTime() - t) / 1e6;
      c.commit();
    }
    c.setAutoCommit(true);
    double exactP95 = RecallMath.percentile(exactMillis, 0.95);
    log("exact scan p95 %.1f ms", exactP95);

    var results = new StringBuilder();
    results.append("| search | build time | index MB | ef_search | recall@10 | worst query | p50 ms | p95 ms | p95 / exact p95 |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    results.append(String.format(Locale.ROOT, "| exact scan (baseline) | – | – | – | 1.000 | 1.0 | %.1f | %.1f | 1.000 |%n",
        RecallMath.percentile(exactMillis, 0.5), exactP95));
    String goal = "not met by any measured configuration";
    // The graph must fit in maintenance_work_mem, or pgvector builds it on disk, many times slower.
    execute(c, "SET maintenance_work_mem = '" + MAINTENANCE_WORK_MEM + "'");
    for (int[] build : BUILDS) {
      var parameters = new HnswParameters("embedding", "vector_cosine_ops", build[0], build[1]);
      execute(c, "DROP INDEX IF EXISTS " + INDEX);
      Duration buildTime = timedBuild(c, table, parameters, INDEX);
      log("built m=%d ef_construction=%d in %s", build[0], build[1], buildTime);
      long indexMegabytes = VectorCatalog.sizeBytes(c, VectorCatalog.index(c, table, INDEX).orElseThrow().oid()) >> 20;
      c.setAutoCommit(false);
      for (int i = 0; i < 3; i++) {
        RecallProbe.nearest(c, table, parameters, queries.get(i), K, OptionalInt.of(40));
        c.commit();
      }
      for (int ef : EF_SEARCH) {
        List<List<String>> found = new ArrayList<>();
        double[] millis = new double[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
          long t = System.nanoTime();
          found.add(RecallProbe.nearest(c, table, parameters, queries.get(i), K, OptionalInt.of(ef)));
          millis[i] = (System.nanoTime() - t) / 1e6;
          c.commit();
        }
        double recall = RecallMath.recallAtK(truth, found, K);
        double worst = 1.0;
        for (int i = 0; i < queries.size(); i++) {
          worst = Math.min(worst, RecallMath.recallAtK(List.of(truth.get(i)), List.of(found.get(i)), K));
        }
        double p95 = RecallMath.percentile(millis, 0.95);
        double ratio = p95 / exactP95;
        log("m=%d ef_construction=%d ef_search %d: recall %.3f p95 %.2f ms", build[0], build[1], ef, recall, p95);
        results.append(String.format(Locale.ROOT, "| HNSW m=%d ef_construction=%d | %s | %d | %d | %.3f | %.1f | %.2f | %.2f | %.3f |%n",
            build[0], build[1], pretty(buildTime), indexMegabytes, ef, recall, worst, RecallMath.percentile(millis, 0.5), p95, ratio));
        if (goal.startsWith("not") && recall >= 0.95 && ratio <= 0.1) {
          goal = String.format(Locale.ROOT, "met with m=%d ef_construction=%d from ef_search %d (recall@10 %.3f at %.3f× the exact "
              + "scan's p95)", build[0], build[1], ef, recall, ratio);
        }
      }
      c.setAutoCommit(true);
    }

    String versions;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector')")) {
      rs.next();
      versions = "PostgreSQL " + rs.getString(1) + ", pgvector " + rs.getString(2);
    }
    return """
        # Vector search: HNSW vs exact scan

        Generated by `bench/vector.sh` (%s). %s on %d CPU cores, shared with other work (load average
        %s at the start, %s at the end: latencies include waiting for a CPU).

        Data: %,d synthetic 1536-dim embeddings in %d clusters around a shared direction, each cluster spread along 8
        directions of its own plus isotropic noise (clustered with a low intrinsic dimension, like text embeddings; not
        uniform random; cosine distance ≈ 0.33 within and ≈ 0.67 between clusters). Table
        %,d MB. Queries: %d vectors sampled from the table with 5%% noise (the operator's recall probe),
        top 10 by cosine distance; latency measured in the client per query, caches warm.

        Load (binary COPY + VACUUM ANALYZE): %s. Index builds with `CREATE INDEX CONCURRENTLY`, as the operator runs them,
        `maintenance_work_mem = %s`, default `max_parallel_maintenance_workers`. "worst query" is the lowest recall@10 of
        a single query.

        %s
        Goal recall@10 ≥ 0.95 at p95 ≤ 0.1× exact: **%s**.
        """.formatted(java.time.LocalDate.now(), versions, Runtime.getRuntime().availableProcessors(), loadBefore, loadAverage(), rows, clusters,
        tableBytes(c) >> 20, queries.size(), pretty(load), MAINTENANCE_WORK_MEM, results, goal);
  }

  /** The build, with its progress from pg_stat_progress_create_index logged every 30 s. */
  private static Duration timedBuild(Connection c, VectorTable table, HnswParameters parameters, String name) throws Exception {
    int pid;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      pid = rs.getInt(1);
    }
    var services = LocalServices.get();
    var watcher = Executors.newSingleThreadScheduledExecutor();
    watcher.scheduleAtFixedRate(() -> {
      try (Connection w = DriverManager.getConnection("jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort()
          + "/" + DATABASE, services.postgresUser(), services.postgresPassword())) {
        VectorCatalog.buildProgress(w, pid).ifPresent(p -> log("build %d%%", p));
      } catch (SQLException e) {
        log("progress unavailable: %s", e.getMessage());
      }
    }, 30, 30, TimeUnit.SECONDS);
    long start = System.nanoTime();
    try {
      IndexDdl.createConcurrently(c, table, name, parameters);
    } finally {
      watcher.shutdownNow();
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  private static long tableBytes(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT pg_total_relation_size('items') - pg_indexes_size('items')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The 1-minute load average, to read the latencies against. */
  private static String loadAverage() throws java.io.IOException {
    return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
  }

  private static String pretty(Duration d) {
    return String.format(Locale.ROOT, "%d min %02d s", d.toMinutes(), d.toSecondsPart());
  }

  private static void admin(String server, LocalServices services, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(server + "postgres", services.postgresUser(), services.postgresPassword())) {
      execute(c, sql);
    }
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, "[vector-bench] " + format + "%n", args);
  }

  private VectorBench() {}
}
