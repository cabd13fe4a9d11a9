package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The pool benches' load and measurements: a stepped pgbench load (low → spike → low) of short transactions
 * ({@code BEGIN; SELECT pg_sleep(0.02); END}) through one or more private PgBouncers, the clients split evenly between
 * them as a Service would, and per phase transactions/s, client latency p95 (pgbench --log, which includes the time
 * queued in PgBouncer), PgBouncer's average wait per transaction (SHOW STATS) and server connections and pool sizes
 * summed over the PgBouncers (SHOW POOLS and SHOW DATABASES every 250 ms).
 */
final class SteppedLoad {
  static final String DATABASE = "du_pool_bench";
  /** The seed's sizes, thresholds and steps on the benches' short time scale, so the loop reacts inside a spike. */
  static final PoolSettings ADAPTIVE = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(250), Duration.ofSeconds(1));
  private static final Duration SAMPLE_EVERY = Duration.ofMillis(250);
  /** pgbench threads over all PgBouncers, so one and two PgBouncers get the same client-side CPU. */
  private static final int THREADS = 2;

  record Phase(String name, int clients, int seconds) {}

  /** One PgBouncer the load goes through and a console to sample it. */
  record Bouncer(PrivatePgBouncer process, PgBouncerAdminClient admin) {}

  /**
   * @param avgServers server connections held open (active, idle, used), summed over the PgBouncers
   * @param peakPoolSizes the largest sum of the PgBouncers' pool sizes seen in a sample
   */
  record PhaseResult(String scenario, Phase phase, double tps, double p95Millis, double avgWaitMillis,
      double avgServers, int peakServers, int peakPoolSizes) {}

  private SteppedLoad() {}

  /** [lowClients] [spikeClients] [lowSeconds] [spikeSeconds] [afterSeconds], defaulting to 8 → 60 → 8 for 20s → 45s → 75s. */
  static List<Phase> phases(String[] args) {
    int low = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int spike = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int lowSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int spikeSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 45;
    int afterSeconds = args.length > 4 ? Integer.parseInt(args[4]) : 75;
    return List.of(new Phase("low", low, lowSeconds), new Phase("spike", spike, spikeSeconds),
        new Phase("low again", low, afterSeconds));
  }

  static String describe(List<Phase> phases) {
    return String.join(" → ", phases.stream().map(p -> p.name() + " " + p.clients() + " clients " + p.seconds() + "s").toList());
  }

  /** ADAPTIVE's time scale, for the reports. */
  static String timeScale() {
    return "sample interval " + PoolSettings.format(ADAPTIVE.sampleInterval()) + ", window "
        + PoolSettings.format(ADAPTIVE.window()) + ", cooldown " + PoolSettings.format(ADAPTIVE.cooldown())
        + ", scale-up cooldown " + PoolSettings.format(ADAPTIVE.scaleUpCooldown()) + ", server_idle_timeout "
        + PoolSettings.format(ADAPTIVE.serverIdleTimeout());
  }

  /** Recreates the bench database; returns the connections PostgreSQL has free (at least {@code needed}). */
  static int createDatabase(int needed) throws SQLException {
    try (var c = connectAdmin(); var s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + DATABASE);
      var rs = s.executeQuery("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity");
      rs.next();
      int free = rs.getInt(1);
      if (free < needed) {
        throw new IllegalStateException("PostgreSQL has only " + free + " free connections; " + needed + " are needed");
      }
      return free;
    }
  }

  static void dropDatabase() throws SQLException {
    try (var c = connectAdmin(); var s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
    }
  }

  private static java.sql.Connection connectAdmin() throws SQLException {
    var services = LocalServices.get();
    return DriverManager.getConnection("jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort()
        + "/postgres", services.postgresUser(), services.postgresPassword());
  }

  static Path script(Path work) throws IOException {
    return Files.writeString(work.resolve("tx.sql"), "BEGIN;\nSELECT pg_sleep(0.02);\nEND;\n");
  }

  static AdminEndpoint endpoint(PrivatePgBouncer bouncer) {
    return new AdminEndpoint(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword());
  }

  /** Prints every step of a loop, with the scenario and time. */
  static PoolController.Listener printSteps(String scenario) {
    return new PoolController.Listener() {
      @Override
      public void scaled(PoolSizingPolicy.Direction direction, int from, int to, String reason) {
        System.out.println("  " + scenario + " " + LocalTime.now() + " " + PoolController.stepMessage(from, to, reason));
      }

      @Override
      public void reapplied(int found, int applied) {}
    };
  }

  static PoolMetrics metrics() {
    return new PoolMetrics(new SimpleMeterRegistry(), "bench", "bench");
  }

  /** The phases one after the other through the PgBouncers. */
  static List<PhaseResult> run(String scenario, List<Phase> phases, List<Bouncer> bouncers, Path work, Path script)
      throws Exception {
    List<PhaseResult> results = new ArrayList<>();
    for (Phase phase : phases) {
      System.out.println(LocalTime.now() + " " + scenario + ": " + phase.name() + " with " + phase.clients() + " clients for "
          + phase.seconds() + "s through " + bouncers.size() + " PgBouncer(s)");
      results.add(runPhase(scenario, phase, bouncers, work, script));
    }
    return results;
  }

  private static PhaseResult runPhase(String scenario, Phase phase, List<Bouncer> bouncers, Path work, Path script)
      throws Exception {
    var services = LocalServices.get();
    Path logDir = Files.createDirectories(work.resolve(scenario.replaceAll("[^A-Za-z0-9]+", "_") + "_"
        + phase.name().replace(' ', '_')));
    var stopSampling = new AtomicBoolean();
    List<int[]> samples = new ArrayList<>();
    var sampler = Thread.ofPlatform().start(() -> {
      while (!stopSampling.get()) {
        int servers = 0, poolSizes = 0;
        for (Bouncer b : bouncers) {
          servers += b.admin().showPools().stream().filter(p -> p.database().equals(DATABASE))
              .mapToInt(p -> p.serversActive() + p.serversIdle() + p.serversUsed()).sum();
          poolSizes += PoolController.poolSize(b.admin(), DATABASE);
        }
        synchronized (samples) {
          samples.add(new int[] {servers, poolSizes});
        }
        try {
          Thread.sleep(SAMPLE_EVERY.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    var before = stats(bouncers);
    List<Process> processes = new ArrayList<>();
    for (int i = 0; i < bouncers.size(); i++) {
      // As a Service spreads connections: an even share each, the remainder to the first ones.
      int clients = phase.clients() / bouncers.size() + (i < phase.clients() % bouncers.size() ? 1 : 0);
      int threads = Math.max(1, Math.min(clients, THREADS / bouncers.size()));
      var bouncer = bouncers.get(i).process();
      var pb = new ProcessBuilder("pgbench", "-h", bouncer.host(), "-p", Integer.toString(bouncer.port()),
          "-U", services.postgresUser(), "-n", "-c", Integer.toString(clients), "-j", Integer.toString(threads),
          "-T", Integer.toString(phase.seconds()), "-f", script.toString(), "--log",
          "--log-prefix=" + logDir.resolve("tx" + i), DATABASE).redirectErrorStream(true);
      pb.environment().put("PGPASSWORD", services.postgresPassword());
      processes.add(pb.start());
    }
    double tps = 0;
    for (Process p : processes) {
      String output = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException("pgbench failed: " + output);
      }
      Matcher m = Pattern.compile("tps = ([0-9.]+)").matcher(output);
      tps += m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
    stopSampling.set(true);
    sampler.join();
    var after = stats(bouncers);
    long transactions = after.totalTransactions() - before.totalTransactions();
    double avgWait = transactions > 0 ? (after.totalWaitMicros() - before.totalWaitMicros()) / 1000.0 / transactions : 0;
    synchronized (samples) {
      return new PhaseResult(scenario, phase, tps, p95Millis(logDir), avgWait,
          samples.stream().mapToInt(s -> s[0]).average().orElse(0), samples.stream().mapToInt(s -> s[0]).max().orElse(0),
          samples.stream().mapToInt(s -> s[1]).max().orElse(0));
    }
  }

  /** SHOW STATS of the bench database summed over the PgBouncers. */
  private static PgBouncerAdmin.StatsRow stats(List<Bouncer> bouncers) {
    long transactions = 0, waitMicros = 0;
    for (Bouncer b : bouncers) {
      var row = b.admin().showStats().stream().filter(s -> s.database().equals(DATABASE)).findFirst();
      transactions += row.map(PgBouncerAdmin.StatsRow::totalTransactions).orElse(0L);
      waitMicros += row.map(PgBouncerAdmin.StatsRow::totalWaitMicros).orElse(0L);
    }
    return new PgBouncerAdmin.StatsRow(DATABASE, transactions, 0, 0, waitMicros);
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

  /** The per-phase table of every scenario. */
  static String table(List<PhaseResult> results) {
    var md = new StringBuilder("| scenario | phase | TPS | latency p95 (ms) | avg wait (ms) | avg server conns | peak server conns |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|\n");
    for (var r : results) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.1f | %.2f | %.1f | %d |%n", r.scenario(), r.phase().name(),
          r.tps(), r.p95Millis(), r.avgWaitMillis(), r.avgServers(), r.peakServers()));
    }
    return md.toString();
  }

  static PhaseResult find(List<PhaseResult> results, String scenario, Phase phase) {
    return results.stream().filter(r -> r.scenario().equals(scenario) && r.phase().equals(phase)).findFirst().orElseThrow();
  }

  /** Average server connections over the phases, weighted by their length. */
  static double averageServers(List<PhaseResult> results, String scenario, List<Phase> phases) {
    double sum = 0, seconds = 0;
    for (Phase phase : phases) {
      sum += find(results, scenario, phase).avgServers() * phase.seconds();
      seconds += phase.seconds();
    }
    return sum / seconds;
  }

  static void write(String file, String report) throws IOException {
    Path out = Path.of("bench/results", file);
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    System.out.println(report);
  }
}
