package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.vector.ClusteredEmbeddings;
import dev.databaseunit.operator.vector.HnswParameters;
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
    int clusters = Math.max(10, rows / 1000);
    execute(c, "CREATE EXTENSION vector");
    execute(c, "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, embedding vector(" + DIMENSIONS + ") NOT NULL)");
    long start = System.nanoTime();
    new ClusteredEmbeddings(clusters, DIMENSIONS, 20260301).load(c, "items", "embedding", rows);
    execute(c, "VACUUM ANALYZE items");
    Duration load = Duration.ofNanos(System.nanoTime() - start);
    log("loaded %d rows in %s", rows, load);

    var spec = new VectorIndexSpec("items_embedding_hnsw", "items", "embedding", DIMENSIONS, VectorIndexSpec.Opclass.COSINE, 16, 64, 40, null);
    VectorTable table = VectorCatalog.validate(c, spec);
    HnswParameters parameters = HnswParameters.of(spec);
    // The graph must fit in maintenance_work_mem, or pgvector builds it on disk, many times slower.
    execute(c, "SET maintenance_work_mem = '" + MAINTENANCE_WORK_MEM + "'");
    Duration build = timedBuild(c, table, parameters, spec.name());
    log("built the index in %s", build);
    long indexBytes;
    long tableBytes;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT pg_relation_size('items_embedding_hnsw'), pg_total_relation_size('items')")) {
      rs.next();
      indexBytes = rs.getLong(1);
      tableBytes = rs.getLong(2) - indexBytes;
    }

    List<float[]> queries = new RecallProbe(QUERIES, K, new Random(42)).sampleQueries(c, table, "embedding");
    c.setAutoCommit(false);
    // Warm the caches for both paths, so neither pays for the first read from disk.
    for (int i = 0; i < 3; i++) {
      RecallProbe.nearest(c, table, parameters, queries.get(i), K, OptionalInt.empty());
      RecallProbe.nearest(c, table, parameters, queries.get(i), K, OptionalInt.of(40));
      c.commit();
    }
    List<List<String>> truth = new ArrayList<>();
    double[] exactMillis = new double[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      long t = System.nanoTime();
      truth.add(RecallProbe.nearest(c, table, parameters, queries.get(i), K, OptionalInt.empty()));
      exactMillis[i] = (System.nanoTime() - t) / 1e6;
      c.commit();
    }
    double exactP95 = RecallMath.percentile(exactMillis, 0.95);
    log("exact scan p95 %.1f ms", exactP95);

    var table1 = new StringBuilder();
    table1.append("| search | ef_search | recall@10 | p50 ms | p95 ms | p95 / exact p95 |\n|---|---:|---:|---:|---:|---:|\n");
    table1.append(String.format(Locale.ROOT, "| exact scan (baseline) | – | 1.000 | %.1f | %.1f | 1.000 |%n",
        RecallMath.percentile(exactMillis, 0.5), exactP95));
    String goal = "not met at any measured ef_search";
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
      double p95 = RecallMath.percentile(millis, 0.95);
      double ratio = p95 / exactP95;
      log("ef_search %d: recall %.3f p95 %.2f ms", ef, recall, p95);
      table1.append(String.format(Locale.ROOT, "| HNSW m=16 ef_construction=64 | %d | %.3f | %.2f | %.2f | %.3f |%n",
          ef, recall, RecallMath.percentile(millis, 0.5), p95, ratio));
      if (goal.startsWith("not") && recall >= 0.95 && ratio <= 0.1) {
        goal = String.format(Locale.ROOT, "met from ef_search %d (recall@10 %.3f at %.3f× the exact scan's p95)", ef, recall, ratio);
      }
    }
    c.setAutoCommit(true);

    String versions;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector')")) {
      rs.next();
      versions = "PostgreSQL " + rs.getString(1) + ", pgvector " + rs.getString(2);
    }
    return """
        # Vector search: HNSW vs exact scan

        Generated by `bench/vector.sh` (%s). %s on %d CPU cores, shared with other work.

        Data: %,d synthetic 1536-dim embeddings in %d clusters, each cluster spread along 8 directions of its own plus
        isotropic noise (clustered with a low intrinsic dimension, like text embeddings; not uniform random). Table
        %,d MB, index %,d MB. Queries: %d vectors sampled from the table with 5%% noise (the operator's recall probe),
        top 10 by cosine distance; latency measured in the client per query, caches warm.

        Load (binary COPY + VACUUM ANALYZE): %s. **Index build** (`CREATE INDEX CONCURRENTLY`, as the operator runs it,
        `maintenance_work_mem = %s`, default `max_parallel_maintenance_workers`): **%s**.

        %s
        Goal recall@10 ≥ 0.95 at p95 ≤ 0.1× exact: **%s**.
        """.formatted(java.time.LocalDate.now(), versions, Runtime.getRuntime().availableProcessors(), rows, clusters,
        tableBytes >> 20, indexBytes >> 20, queries.size(), pretty(load), MAINTENANCE_WORK_MEM, pretty(build), table1, goal);
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
      execute(c, "CREATE INDEX CONCURRENTLY " + name + " ON " + table.quoted() + " USING hnsw (embedding " + parameters.opclass()
          + ") WITH (m = " + parameters.m() + ", ef_construction = " + parameters.efConstruction() + ")");
    } finally {
      watcher.shutdownNow();
    }
    return Duration.ofNanos(System.nanoTime() - start);
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
