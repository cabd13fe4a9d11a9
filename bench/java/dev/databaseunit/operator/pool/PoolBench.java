package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Static pool 10, static pool 50 and the adaptive loop side by side, each on a fresh private PgBouncer in front
 * of the shared PostgreSQL, under the same stepped pgbench load (low → spike → low) of short transactions
 * ({@code BEGIN; SELECT pg_sleep(0.02); END}). Per phase: transactions/s, client latency p95 (pgbench --log,
 * which includes the time queued in PgBouncer), PgBouncer's average wait per transaction (SHOW STATS), and
 * average/peak server connections (SHOW POOLS every 250 ms). The adaptive loop runs in-process with the seed's
 * thresholds and steps but a 500ms interval, 1s window and 1s cooldown, so it can react inside a minute-long
 * spike. Run with bench/pool.sh [lowClients] [spikeClients] [lowSeconds] [spikeSeconds].
 */
public final class PoolBench {
  private static final String DATABASE = "du_pool_bench";
  /** The seed's sizes, thresholds and steps on the bench's short time scale. */
  private static final PoolSettings ADAPTIVE = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(250), Duration.ofSeconds(1));
  /** A control: static 50 with the server_idle_timeout the adaptive loop applies, to show what that alone does. */
  private static final String STATIC_50_IDLE = "static 50, idle timeout";

  record Phase(String name, int clients, int seconds) {}

  record PhaseResult(String scenario, Phase phase, double tps, double p95Millis, double avgWaitMillis,
      double avgServers, int peakServers) {}

  private PoolBench() {}

  public static void main(String[] args) throws Exception {
    int low = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int spike = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int lowSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int spikeSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 45;
    int afterSeconds = args.length > 4 ? Integer.parseInt(args[4]) : 75;
    List<Phase> phases = List.of(new Phase("low", low, lowSeconds), new Phase("spike", spike, spikeSeconds),
        new Phase("low again", low, afterSeconds));
    var services = LocalServices.get();
    String adminUrl = "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/postgres";
    int maxConnections;
    try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword());
        var s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + DATABASE);
      var rs = s.executeQuery("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity");
      rs.next();
      maxConnections = rs.getInt(1);
    }
    if (maxConnections < 60) {
      throw new IllegalStateException("PostgreSQL has only " + maxConnections + " free connections; 50 are needed");
    }
    Path work = Files.createTempDirectory("pool-bench");
    Path script = work.resolve("tx.sql");
    Files.writeString(script, "BEGIN;\nSELECT pg_sleep(0.02);\nEND;\n");

    List<PhaseResult> results = new ArrayList<>();
    results.addAll(run("static 10", 10, false, null, phases, work, script));
    results.addAll(run("static 50", 50, false, null, phases, work, script));
    results.addAll(run("adaptive", 10, true, null, phases, work, script));
    results.addAll(run(STATIC_50_IDLE, 50, false, ADAPTIVE.serverIdleTimeoutSetting(), phases, work, script));

    try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword())) {
      c.createStatement().execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
    }
    String report = report(results, phases, maxConnections);
    Path out = Path.of("bench/results/pool.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    System.out.println(report);
  }

  /** @param idleTimeout server_idle_timeout to SET on the static pool, or null for PgBouncer's default (600s) */
  private static List<PhaseResult> run(String scenario, int poolSize, boolean adaptive, String idleTimeout,
      List<Phase> phases, Path work, Path script) throws Exception {
    List<PhaseResult> results = new ArrayList<>();
    try (var bouncer = PrivatePgBouncer.start(poolSize, 300)) {
      var endpoint = new AdminEndpoint(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword());
      var scheduler = Executors.newScheduledThreadPool(1);
      if (adaptive) {
        var controller = new PoolController(DATABASE, endpoint, ADAPTIVE, null, Clock.systemUTC(),
            new PoolController.Listener() {
              @Override
              public void scaled(PoolSizingPolicy.Direction direction, int from, int to, String reason) {
                System.out.println("  adaptive " + LocalTime.now() + " " + PoolController.stepMessage(from, to, reason));
              }

              @Override
              public void reapplied(int found, int applied) {}
            }, new PoolMetrics(new SimpleMeterRegistry(), "bench", "bench"));
        long period = ADAPTIVE.loopPeriod().toMillis();
        scheduler.scheduleWithFixedDelay(() -> controller.tick(ADAPTIVE.maxSize()), 0, period, TimeUnit.MILLISECONDS);
      }
      try (var admin = endpoint.connect(Duration.ofSeconds(5))) {
        if (idleTimeout != null) {
          admin.set("server_idle_timeout", idleTimeout);
        }
        for (Phase phase : phases) {
          System.out.println(LocalTime.now() + " " + scenario + ": " + phase.name() + " with " + phase.clients() + " clients for " + phase.seconds() + "s");
          results.add(runPhase(scenario, phase, bouncer, admin, work, script));
        }
      } finally {
        scheduler.shutdownNow();
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
      }
    }
    return results;
  }

  private static PhaseResult runPhase(String scenario, Phase phase, PrivatePgBouncer bouncer, PgBouncerAdminClient admin,
      Path work, Path script) throws Exception {
    var services = LocalServices.get();
    Path logDir = Files.createDirectories(work.resolve(scenario.replace(' ', '_') + "_" + phase.name().replace(' ', '_')));
    var stopSampling = new AtomicBoolean();
    List<Integer> servers = new ArrayList<>();
    var sampler = Thread.ofPlatform().start(() -> {
      while (!stopSampling.get()) {
        int n = admin.showPools().stream().filter(p -> p.database().equals(DATABASE))
            .mapToInt(p -> p.serversActive() + p.serversIdle() + p.serversUsed()).sum();
        synchronized (servers) {
          servers.add(n);
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    var before = stats(admin);
    var pb = new ProcessBuilder("pgbench", "-h", bouncer.host(), "-p", Integer.toString(bouncer.port()),
        "-U", services.postgresUser(), "-n", "-c", Integer.toString(phase.clients()), "-j", "2",
        "-T", Integer.toString(phase.seconds()), "-f", script.toString(), "--log", "--log-prefix=" + logDir.resolve("tx"),
        DATABASE).redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", services.postgresPassword());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("pgbench failed: " + output);
    }
    stopSampling.set(true);
    sampler.join();
    var after = stats(admin);
    long transactions = after.totalTransactions() - before.totalTransactions();
    double avgWait = transactions > 0 ? (after.totalWaitMicros() - before.totalWaitMicros()) / 1000.0 / transactions : 0;
    Matcher tps = Pattern.compile("tps = ([0-9.]+)").matcher(output);
    double tpsValue = tps.find() ? Double.parseDouble(tps.group(1)) : Double.NaN;
    double p95 = p95Millis(logDir);
    double avgServers;
    int peak;
    synchronized (servers) {
      avgServers = servers.stream().mapToInt(Integer::intValue).average().orElse(0);
      peak = servers.stream().mapToInt(Integer::intValue).max().orElse(0);
    }
    return new PhaseResult(scenario, phase, tpsValue, p95, avgWait, avgServers, peak);
  }

  private static PgBouncerAdmin.StatsRow stats(PgBouncerAdmin admin) {
    return admin.showStats().stream().filter(s -> s.database().equals(DATABASE)).findFirst()
        .orElse(new PgBouncerAdmin.StatsRow(DATABASE, 0, 0, 0, 0));
  }

  /** 95th percentile of the per-transaction latencies (third column, microseconds) of pgbench's logs. */
  private static double p95Millis(Path logDir) throws IOException {
    long[] latencies;
    try (Stream<Path> files = Files.list(logDir)) {
      latencies = files.flatMap(f -> {
        try {
          return Files.lines(f).toList().stream();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }).mapToLong(line -> Long.parseLong(line.split(" ")[2])).sorted().toArray();
    }
    if (latencies.length == 0) {
      return Double.NaN;
    }
    return latencies[(int) Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.95) - 1)] / 1000.0;
  }

  private static String report(List<PhaseResult> results, List<Phase> phases, int freeConnections) {
    var md = new StringBuilder("# Adaptive pool vs static pools\n\n");
    md.append(String.format(Locale.ROOT, "One run of `bench/pool.sh` on this machine (%d cores, shared). pgbench through a "
        + "private PgBouncer 1.18 (transaction pooling) in front of the shared PostgreSQL 15 (%d connections free of "
        + "max_connections at start), script `BEGIN; SELECT pg_sleep(0.02); END`. Phases: %s. Adaptive: the operator's "
        + "PoolController in-process with the seed's sizes, thresholds and steps (min 5, initial 10, max 50, +5 above 0.8, "
        + "-2 below 0.3) on a short time scale: sample interval %s, window %s, cooldown %s, scale-up cooldown %s (while "
        + "clients queue in every sample, a scale-up may follow the previous step after this long, and the loop samples "
        + "this often), server_idle_timeout %s, which the loop applies (production defaults: 10s, 60s, 120s, 5s, 60s). Latency p95 "
        + "is pgbench's per-transaction latency, which includes the time a client waits in PgBouncer's queue; avg wait "
        + "is PgBouncer's own total_wait_time / transactions. Server connections are those PgBouncer holds open "
        + "(active, idle, used), sampled every 250ms. Static pools keep PgBouncer's default server_idle_timeout (600s), "
        + "so they hold what a spike opened; the last scenario is a control, static 50 with the adaptive loop's "
        + "server_idle_timeout, to show how much of the saving that setting alone brings.%n%n",
        Runtime.getRuntime().availableProcessors(), freeConnections,
        String.join(" → ", phases.stream().map(p -> p.name() + " " + p.clients() + " clients " + p.seconds() + "s").toList()),
        PoolSettings.format(ADAPTIVE.sampleInterval()), PoolSettings.format(ADAPTIVE.window()),
        PoolSettings.format(ADAPTIVE.cooldown()), PoolSettings.format(ADAPTIVE.scaleUpCooldown()),
        PoolSettings.format(ADAPTIVE.serverIdleTimeout())));
    md.append("| scenario | phase | TPS | latency p95 (ms) | avg wait (ms) | avg server conns | peak server conns |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|\n");
    for (var r : results) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.1f | %.2f | %.1f | %d |%n", r.scenario(), r.phase().name(),
          r.tps(), r.p95Millis(), r.avgWaitMillis(), r.avgServers(), r.peakServers()));
    }
    md.append("\n## Adaptive against the static pools\n\n");
    md.append("Goals: p95 adaptive / static 50 <= 1.2 in the spike, avg conns adaptive / static 50 <= 0.5 over the run.\n\n");
    md.append("| phase | p95 adaptive / static 50 | p95 adaptive / static 10 | avg conns adaptive / static 50 "
        + "| p95 adaptive / control | avg conns adaptive / control |\n");
    md.append("|---|---:|---:|---:|---:|---:|\n");
    double adaptiveConns = 0, staticConns = 0, controlConns = 0, totalSeconds = 0;
    for (Phase phase : phases) {
      var a = find(results, "adaptive", phase);
      var s50 = find(results, "static 50", phase);
      var s10 = find(results, "static 10", phase);
      var control = find(results, STATIC_50_IDLE, phase);
      md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", phase.name(),
          a.p95Millis() / s50.p95Millis(), a.p95Millis() / s10.p95Millis(), a.avgServers() / s50.avgServers(),
          a.p95Millis() / control.p95Millis(), a.avgServers() / control.avgServers()));
      adaptiveConns += a.avgServers() * phase.seconds();
      staticConns += s50.avgServers() * phase.seconds();
      controlConns += control.avgServers() * phase.seconds();
      totalSeconds += phase.seconds();
    }
    md.append(String.format(Locale.ROOT, "| whole run (time-weighted) | | | %.2f | | %.2f |%n", adaptiveConns / staticConns,
        adaptiveConns / controlConns));
    md.append(String.format(Locale.ROOT, "%nAverage server connections over the whole run: adaptive %.1f, static 50 %.1f, "
        + "control (static 50, server_idle_timeout %s) %.1f.%n", adaptiveConns / totalSeconds, staticConns / totalSeconds,
        PoolSettings.format(ADAPTIVE.serverIdleTimeout()), controlConns / totalSeconds));
    return md.toString();
  }

  private static PhaseResult find(List<PhaseResult> results, String scenario, Phase phase) {
    return results.stream().filter(r -> r.scenario().equals(scenario) && r.phase().equals(phase)).findFirst().orElseThrow();
  }
}
