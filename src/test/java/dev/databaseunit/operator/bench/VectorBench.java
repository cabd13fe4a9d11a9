package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.vector.AutoRebuild;
import dev.databaseunit.operator.vector.ClusteredEmbeddings;
import dev.databaseunit.operator.vector.HnswParameters;
import dev.databaseunit.operator.vector.IndexDdl;
import dev.databaseunit.operator.vector.RecallMath;
import dev.databaseunit.operator.vector.RecallProbe;
import dev.databaseunit.operator.vector.VectorCatalog;
import dev.databaseunit.operator.vector.RecallTuner;
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
 * HNSW with the seed's settings (m=16, ef_construction=64, ef_search=40) against the same index after the operator's
 * recall probe tuned ef_search to the default target (0.95), on two shapes of 1536-dim data: clustered like text
 * embeddings, and uniform on the sphere. Recall@10 and latency are measured with bench queries of their own (not the
 * probe's), next to the exact scan each replaces. Writes a markdown report.
 *
 * <p>Arguments: rows (per shape), output file. Runs on the local PostgreSQL in a scratch database dropped at the end.
 */
public final class VectorBench {
  private static final int DIMENSIONS = 1536;
  private static final int QUERIES = 50;
  private static final int K = 10;
  private static final int SEED_EF_SEARCH = 40;
  private static final String DATABASE = "du_bench_vector";
  private static final String MAINTENANCE_WORK_MEM = "1GB";
  private static final String INDEX = "items_embedding_hnsw";
  private static final HnswParameters SEED = new HnswParameters("embedding", "vector_cosine_ops", 16, 64);
  /** autoRebuild steps measured at most, and no step whose build would take longer than this (the last one's × 2.5). */
  private static final int AUTO_STEPS = 3;
  private static final Duration AUTO_BUILD_BUDGET = Duration.ofMinutes(10);

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

  /** Recall@10 and latency of one way to search, over the bench queries. */
  private record Measured(double recall, double worst, double p50, double p95) {}

  private static String run(Connection c, int rows) throws Exception {
    String loadBefore = loadAverage();
    int clusters = Math.max(10, rows / 1000);
    execute(c, "CREATE EXTENSION vector");
    // The graph must fit in maintenance_work_mem, or pgvector builds it on disk, many times slower.
    execute(c, "SET maintenance_work_mem = '" + MAINTENANCE_WORK_MEM + "'");
    var results = new StringBuilder();
    results.append("| data | search | ef_search | recall@10 | worst query | p50 ms | p95 ms | p95 / exact p95 | probe |\n")
        .append("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
    var goals = new StringBuilder();
    String[][] shapes = {{"clustered", "%d clusters".formatted(clusters)}, {"uniform", "uniform on the sphere"}};
    for (String[] shape : shapes) {
      var embeddings = shape[0].equals("clustered") ? new ClusteredEmbeddings(clusters, DIMENSIONS, 20260301)
          : ClusteredEmbeddings.uniform(DIMENSIONS, 20260301);
      execute(c, "DROP TABLE IF EXISTS items");
      execute(c, "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, embedding vector(" + DIMENSIONS + ") NOT NULL)");
      embeddings.load(c, "items", "embedding", rows);
      execute(c, "VACUUM ANALYZE items");
      var spec = new VectorIndexSpec(INDEX, "items", "embedding", DIMENSIONS, VectorIndexSpec.Opclass.COSINE, 16, 64, null, null, null,
          null, null, null);
      VectorTable table = VectorCatalog.validate(c, spec);
      List<float[]> queries = new RecallProbe(QUERIES, K, new Random(42)).sampleQueries(c, table, "embedding");

      // The truth and the baseline's latency, once: an exact scan does not depend on the index.
      c.setAutoCommit(false);
      List<List<String>> truth = new ArrayList<>();
      double[] exactMillis = new double[queries.size()];
      for (int i = 0; i < queries.size(); i++) {
        long t = System.nanoTime();
        truth.add(RecallProbe.nearest(c, table, SEED, queries.get(i), K, OptionalInt.empty()));
        exactMillis[i] = (System.nanoTime() - t) / 1e6;
        c.commit();
      }
      c.setAutoCommit(true);
      double exactP95 = RecallMath.percentile(exactMillis, 0.95);
      results.append(String.format(Locale.ROOT, "| %s | exact scan | – | 1.000 | 1.0 | %.1f | %.1f | 1.000 | – |%n", shape[0],
          RecallMath.percentile(exactMillis, 0.5), exactP95));

      Duration buildTime = timedBuild(c, table, SEED, INDEX);
      log("%s: built the seed's index in %s", shape[0], buildTime);
      Measured fixed = measure(c, table, queries, truth, SEED_EF_SEARCH);
      results.append(row(shape[0], "HNSW seed settings (fixed)", SEED_EF_SEARCH, fixed, exactP95, "–"));

      // What the operator does from the seed's defaults: the probe's search over [40, 400] for 0.95.
      RecallProbe.Result tuned = new RecallProbe(RecallTuner.PROBE_QUERIES, K, new Random(7)).tune(c, table, SEED, new RecallProbe.Range(0.95, 40, 400),
          java.time.Instant.now(), d -> {});
      Measured autotuned = measure(c, table, queries, truth, tuned.efSearch());
      String probe = verdict(tuned);
      results.append(row(shape[0], "HNSW seed index, ef_search tuned by the probe", tuned.efSearch(), autotuned, exactP95, probe));
      log("%s: fixed %s, tuned %s (%s)", shape[0], fixed, autotuned, probe);
      goals.append(String.format(Locale.ROOT, "- %s (%s, build %s): tuned recall@10 %.3f at %.3f× the exact scan's p95 — goal %s.%n",
          shape[0], shape[1], pretty(buildTime), autotuned.recall(), autotuned.p95() / exactP95,
          autotuned.recall() >= 0.95 && autotuned.p95() / exactP95 <= 0.1 ? "**met**" : "**not met**"));

      // What autoRebuild does from there: while the probe misses the target, the next graph AutoRebuild chooses is
      // built (here in place of the old one; the operator builds it next to it in a window and swaps) and probed again.
      HnswParameters graph = SEED;
      RecallProbe.Result verdict = tuned;
      Duration lastBuild = buildTime;
      for (int step = 1; step <= AUTO_STEPS && !verdict.met(); step++) {
        var next = AutoRebuild.stronger(graph);
        if (next.isEmpty()) {
          break;
        }
        if (lastBuild.multipliedBy(5).dividedBy(2).compareTo(AUTO_BUILD_BUDGET) > 0) {
          goals.append(String.format(Locale.ROOT, "  - autoRebuild step %d (m %d, ef_construction %d) not measured: its build would "
              + "take over %s here (the last took %s).%n", step, next.get().m(), next.get().efConstruction(), pretty(AUTO_BUILD_BUDGET),
              pretty(lastBuild)));
          break;
        }
        graph = next.get();
        execute(c, "DROP INDEX " + INDEX);
        lastBuild = timedBuild(c, table, graph, INDEX);
        verdict = new RecallProbe(RecallTuner.PROBE_QUERIES, K, new Random(7)).tune(c, table, graph,
            new RecallProbe.Range(0.95, 40, 400), java.time.Instant.now(), d -> {});
        Measured stepped = measure(c, table, queries, truth, verdict.efSearch());
        results.append(row(shape[0], String.format(Locale.ROOT, "autoRebuild step %d: m %d, ef_construction %d (build %s), ef_search "
            + "tuned", step, graph.m(), graph.efConstruction(), pretty(lastBuild)), verdict.efSearch(), stepped, exactP95, verdict(verdict)));
        log("%s: autoRebuild step %d %s (%s)", shape[0], step, stepped, verdict(verdict));
        goals.append(String.format(Locale.ROOT, "  - after autoRebuild step %d (m %d, ef_construction %d, build %s): recall@10 %.3f at "
            + "%.3f× — goal %s.%n", step, graph.m(), graph.efConstruction(), pretty(lastBuild), stepped.recall(), stepped.p95() / exactP95,
            stepped.recall() >= 0.95 && stepped.p95() / exactP95 <= 0.1 ? "**met**" : "**not met**"));
      }
    }

    String versions;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector')")) {
      rs.next();
      versions = "PostgreSQL " + rs.getString(1) + ", pgvector " + rs.getString(2);
    }
    return """
        # Vector search: seed settings vs ef_search tuned to a recall target

        Generated by `bench/vector.sh` (%s). %s on %d CPU cores, shared with other work (load average
        %s at the start, %s at the end: latencies include waiting for a CPU).

        Data, per shape: %,d synthetic 1536-dim embeddings. *clustered*: clusters around a shared direction, each spread
        along 8 directions of its own plus isotropic noise (like text embeddings; cosine distance ≈ 0.33 within and ≈ 0.67
        between clusters). *uniform*: an isotropic Gaussian, directions uniform on the sphere (every neighbour nearly as
        far as the next). Bench queries: %d vectors sampled from the table with 5%% noise, top 10 by cosine distance,
        latency measured in the client per query, caches warm. The index: m=16, ef_construction=64 (the seed's), built
        with `CREATE INDEX CONCURRENTLY`, `maintenance_work_mem = %s`. "tuned" is what the operator applies from the seed's
        defaults with `targetRecall: 0.95`: its recall probe (%d queries of its own, exact answers computed once) searches
        ef_search from 40 to `maxEfSearch` 400; the row measures the chosen value with the bench queries. "probe" is the
        probe's verdict, its cost and the curve it measured. "autoRebuild step" rows: what `autoRebuild: true` does next
        while the probe misses the target: the graph `AutoRebuild` chooses, built and probed again (the operator builds it
        in a MaintenanceWindow next to the serving index and swaps; here it replaces it).

        %s
        Goal recall@10 ≥ 0.95 at p95 ≤ 0.1× exact, reached by the operator alone from the seed's defaults:
        %s""".formatted(java.time.LocalDate.now(), versions, Runtime.getRuntime().availableProcessors(), loadBefore, loadAverage(),
        rows, QUERIES, MAINTENANCE_WORK_MEM, RecallTuner.PROBE_QUERIES, results, goals);
  }

  private static Measured measure(Connection c, VectorTable table, List<float[]> queries, List<List<String>> truth, int efSearch)
      throws SQLException {
    c.setAutoCommit(false);
    for (int i = 0; i < 3; i++) {
      RecallProbe.nearest(c, table, SEED, queries.get(i), K, OptionalInt.of(efSearch));
      c.commit();
    }
    List<List<String>> found = new ArrayList<>();
    double[] millis = new double[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      long t = System.nanoTime();
      found.add(RecallProbe.nearest(c, table, SEED, queries.get(i), K, OptionalInt.of(efSearch)));
      millis[i] = (System.nanoTime() - t) / 1e6;
      c.commit();
    }
    c.setAutoCommit(true);
    double worst = 1.0;
    for (int i = 0; i < queries.size(); i++) {
      worst = Math.min(worst, RecallMath.recallAtK(List.of(truth.get(i)), List.of(found.get(i)), K));
    }
    return new Measured(RecallMath.recallAtK(truth, found, K), worst, RecallMath.percentile(millis, 0.5), RecallMath.percentile(millis, 0.95));
  }

  private static String verdict(RecallProbe.Result r) {
    return String.format(Locale.ROOT, "%s, %d queries, %d ms; curve %s", r.met() ? "met" : "RecallTargetUnreachable",
        r.probeQueries(), r.probeMillis(), r.curve().entrySet().stream()
            .map(e -> String.format(Locale.ROOT, "%d: %.2f", e.getKey(), e.getValue())).collect(java.util.stream.Collectors.joining(", ")));
  }

  private static String row(String shape, String search, int efSearch, Measured m, double exactP95, String probe) {
    return String.format(Locale.ROOT, "| %s | %s | %d | %.3f | %.1f | %.2f | %.2f | %.3f | %s |%n", shape, search, efSearch, m.recall(),
        m.worst(), m.p50(), m.p95(), m.p95() / exactP95, probe);
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
