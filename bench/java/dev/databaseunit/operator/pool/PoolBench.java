package dev.databaseunit.operator.pool;

import static dev.databaseunit.operator.pool.SteppedLoad.ADAPTIVE;
import static dev.databaseunit.operator.pool.SteppedLoad.DATABASE;
import static dev.databaseunit.operator.pool.SteppedLoad.averageServers;
import static dev.databaseunit.operator.pool.SteppedLoad.find;

import dev.databaseunit.operator.pool.SteppedLoad.Phase;
import dev.databaseunit.operator.pool.SteppedLoad.PhaseResult;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Static pool 10, static pool 50 and the adaptive loop side by side, each on a fresh private PgBouncer in front
 * of the shared PostgreSQL, under the same stepped pgbench load ({@link SteppedLoad}). The adaptive loop runs
 * in-process with the seed's thresholds and steps but a 500ms interval, 1s window and 1s cooldown, so it can react
 * inside a minute-long spike. Run with bench/pool.sh [lowClients] [spikeClients] [lowSeconds] [spikeSeconds].
 */
public final class PoolBench {
  /** A control: static 50 with the server_idle_timeout the adaptive loop applies, to show what that alone does. */
  private static final String STATIC_50_IDLE = "static 50, idle timeout";

  private PoolBench() {}

  public static void main(String[] args) throws Exception {
    List<Phase> phases = SteppedLoad.phases(args);
    int maxConnections = SteppedLoad.createDatabase(60);
    Path work = Files.createTempDirectory("pool-bench");
    Path script = SteppedLoad.script(work);

    List<PhaseResult> results = new ArrayList<>();
    results.addAll(run("static 10", 10, false, null, phases, work, script));
    results.addAll(run("static 50", 50, false, null, phases, work, script));
    results.addAll(run("adaptive", 10, true, null, phases, work, script));
    results.addAll(run(STATIC_50_IDLE, 50, false, ADAPTIVE.serverIdleTimeoutSetting(), phases, work, script));

    SteppedLoad.dropDatabase();
    SteppedLoad.write("pool.md", report(results, phases, maxConnections));
  }

  /** @param idleTimeout server_idle_timeout to SET on the static pool, or null for PgBouncer's default (600s) */
  private static List<PhaseResult> run(String scenario, int poolSize, boolean adaptive, String idleTimeout,
      List<Phase> phases, Path work, Path script) throws Exception {
    try (var bouncer = PrivatePgBouncer.start(poolSize, 300)) {
      var endpoint = SteppedLoad.endpoint(bouncer);
      var scheduler = Executors.newScheduledThreadPool(1);
      if (adaptive) {
        var controller = new PoolController(DATABASE, endpoint, ADAPTIVE, null, Clock.systemUTC(),
            SteppedLoad.printSteps(scenario), SteppedLoad.metrics());
        long period = ADAPTIVE.loopPeriod().toMillis();
        scheduler.scheduleWithFixedDelay(() -> controller.tick(ADAPTIVE.maxSize()), 0, period, TimeUnit.MILLISECONDS);
      }
      try (var admin = endpoint.connect(Duration.ofSeconds(5))) {
        if (idleTimeout != null) {
          admin.set("server_idle_timeout", idleTimeout);
        }
        return SteppedLoad.run(scenario, phases, List.of(new SteppedLoad.Bouncer(bouncer, admin)), work, script);
      } finally {
        scheduler.shutdownNow();
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String report(List<PhaseResult> results, List<Phase> phases, int freeConnections) {
    var md = new StringBuilder("# Adaptive pool vs static pools\n\n");
    md.append(String.format(Locale.ROOT, "One run of `bench/pool.sh` on this machine (%d cores, shared). pgbench through a "
        + "private PgBouncer 1.18 (transaction pooling) in front of the shared PostgreSQL 15 (%d connections free of "
        + "max_connections at start), script `BEGIN; SELECT pg_sleep(0.02); END`. Phases: %s. Adaptive: the operator's "
        + "PoolController in-process with the seed's sizes, thresholds and steps (min 5, initial 10, max 50, +5 above 0.8, "
        + "-2 below 0.3) on a short time scale: %s (while clients queue in every sample, a "
        + "scale-up may follow the previous step after the scale-up cooldown, and the loop samples this often; the loop "
        + "applies server_idle_timeout; production defaults: 10s, 60s, 120s, 5s, 60s). Latency p95 "
        + "is pgbench's per-transaction latency, which includes the time a client waits in PgBouncer's queue; avg wait "
        + "is PgBouncer's own total_wait_time / transactions. Server connections are those PgBouncer holds open "
        + "(active, idle, used), sampled every 250ms. Static pools keep PgBouncer's default server_idle_timeout (600s), "
        + "so they hold what a spike opened; the last scenario is a control, static 50 with the adaptive loop's "
        + "server_idle_timeout, to show how much of the saving that setting alone brings.%n%n",
        Runtime.getRuntime().availableProcessors(), freeConnections,
        SteppedLoad.describe(phases), SteppedLoad.timeScale()));
    md.append(SteppedLoad.table(results));
    md.append("\n## Adaptive against the static pools\n\n");
    md.append("Goals: p95 adaptive / static 50 <= 1.2 in the spike, avg conns adaptive / static 50 <= 0.5 over the run.\n\n");
    md.append("| phase | p95 adaptive / static 50 | p95 adaptive / static 10 | avg conns adaptive / static 50 "
        + "| p95 adaptive / control | avg conns adaptive / control |\n");
    md.append("|---|---:|---:|---:|---:|---:|\n");
    for (Phase phase : phases) {
      var a = find(results, "adaptive", phase);
      var s50 = find(results, "static 50", phase);
      var s10 = find(results, "static 10", phase);
      var control = find(results, STATIC_50_IDLE, phase);
      md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", phase.name(),
          a.p95Millis() / s50.p95Millis(), a.p95Millis() / s10.p95Millis(), a.avgServers() / s50.avgServers(),
          a.p95Millis() / control.p95Millis(), a.avgServers() / control.avgServers()));
    }
    double adaptiveConns = averageServers(results, "adaptive", phases);
    double staticConns = averageServers(results, "static 50", phases);
    double controlConns = averageServers(results, STATIC_50_IDLE, phases);
    md.append(String.format(Locale.ROOT, "| whole run (time-weighted) | | | %.2f | | %.2f |%n", adaptiveConns / staticConns,
        adaptiveConns / controlConns));
    md.append(String.format(Locale.ROOT, "%nAverage server connections over the whole run: adaptive %.1f, static 50 %.1f, "
        + "control (static 50, server_idle_timeout %s) %.1f.%n", adaptiveConns, staticConns,
        PoolSettings.format(ADAPTIVE.serverIdleTimeout()), controlConns));
    return md.toString();
  }
}
