package dev.databaseunit.operator.pool;

import static dev.databaseunit.operator.pool.SteppedLoad.ADAPTIVE;
import static dev.databaseunit.operator.pool.SteppedLoad.DATABASE;
import static dev.databaseunit.operator.pool.SteppedLoad.averageServers;
import static dev.databaseunit.operator.pool.SteppedLoad.find;

import dev.databaseunit.operator.pool.SteppedLoad.Bouncer;
import dev.databaseunit.operator.pool.SteppedLoad.Phase;
import dev.databaseunit.operator.pool.SteppedLoad.PhaseResult;
import dev.databaseunit.operator.postgres.UnitDataSources;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One PgBouncer against two under the same stepped pgbench load ({@link SteppedLoad}), each sized by the operator's
 * replica loop ({@link ReplicaPools}, as the managed pooler runs it with replicas 1 and 2) within the same budget
 * ({@link PoolBudget#limit}); with two, the clients are split evenly between them as the pooler Service would. Reports
 * spike TPS, p95, and total server connections (summed over the PgBouncers) as 2-pod ÷ 1-pod ratios, and whether the
 * sum of the pool sizes or of the server connections ever went above the budget. Run with bench/pool-replicas.sh
 * [lowClients] [spikeClients] [lowSeconds] [spikeSeconds] [afterSeconds].
 */
public final class PoolReplicasBench {
  private static final String ONE = "1 pod";
  private static final String TWO = "2 pods";

  /** What a scenario measured beyond the phases: the largest sum of pool sizes the loop held after any tick. */
  private record Scenario(List<PhaseResult> phases, int mostHeldByLoop) {}

  private PoolReplicasBench() {}

  public static void main(String[] args) throws Exception {
    List<Phase> phases = SteppedLoad.phases(args);
    int free = SteppedLoad.createDatabase(ADAPTIVE.maxSize() + 10);
    int budget = PoolBudget.limit(ADAPTIVE.maxSize(), free, UnitDataSources.MAX_CONNECTIONS_PER_TARGET);
    Path work = Files.createTempDirectory("pool-replicas-bench");
    Path script = SteppedLoad.script(work);

    var one = run(ONE, 1, budget, phases, work, script);
    var two = run(TWO, 2, budget, phases, work, script);

    SteppedLoad.dropDatabase();
    SteppedLoad.write("pool-replicas.md", report(one, two, phases, budget, free));
  }

  private static Scenario run(String scenario, int pods, int budget, List<Phase> phases, Path work, Path script)
      throws Exception {
    List<PrivatePgBouncer> processes = new ArrayList<>();
    var scheduler = Executors.newScheduledThreadPool(1);
    try {
      List<ReplicaPools.Replica> replicas = new ArrayList<>();
      for (int i = 0; i < pods; i++) {
        var bouncer = PrivatePgBouncer.start(ADAPTIVE.initialSize(), 300);
        processes.add(bouncer);
        replicas.add(new ReplicaPools.Replica("pgbouncer-" + (char) ('a' + i), SteppedLoad.endpoint(bouncer)));
      }
      var pools = new ReplicaPools(DATABASE, ADAPTIVE, budget, null, Clock.systemUTC(), SteppedLoad.printSteps(scenario),
          SteppedLoad.metrics());
      pools.update(replicas, ADAPTIVE, budget);
      var mostHeld = new AtomicInteger();
      scheduler.scheduleWithFixedDelay(() -> {
        pools.tick();
        var status = pools.status();
        if (status != null) {
          mostHeld.accumulateAndGet(status.currentSize(), Math::max);
        }
      }, 0, ADAPTIVE.loopPeriod().toMillis(), TimeUnit.MILLISECONDS);
      List<Bouncer> bouncers = new ArrayList<>();
      try {
        for (var process : processes) {
          bouncers.add(new Bouncer(process, SteppedLoad.endpoint(process).connect(Duration.ofSeconds(5))));
        }
        return new Scenario(SteppedLoad.run(scenario, phases, bouncers, work, script), mostHeld.get());
      } finally {
        bouncers.forEach(b -> b.admin().close());
      }
    } finally {
      scheduler.shutdownNow();
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
      processes.forEach(PrivatePgBouncer::close);
    }
  }

  private static String report(Scenario one, Scenario two, List<Phase> phases, int budget, int free) {
    List<PhaseResult> results = new ArrayList<>(one.phases());
    results.addAll(two.phases());
    Phase spike = phases.stream().max((a, b) -> Integer.compare(a.clients(), b.clients())).orElseThrow();
    var md = new StringBuilder("# One PgBouncer against two within one connection budget\n\n");
    md.append("""
        One run of `bench/pool-replicas.sh` on this machine (%d cores, shared). The stepped pgbench load of \
        `bench/pool.sh` (script `BEGIN; SELECT pg_sleep(0.02); END`, phases %s, 2 pgbench threads in all) through \
        private PgBouncer 1.18 processes (transaction pooling) in front of the shared PostgreSQL 15 (%d connections \
        free at start). Both scenarios run the operator's replica loop (ReplicaPools: a PoolController per PgBouncer, \
        the budget split by what each replica's policy wants, shrinks applied before grows) with the seed's sizes and \
        steps per PgBouncer (min 5, initial 10, max 50, +5 above 0.8, -2 below 0.3) on the pool bench's short time \
        scale (%s) and the budget the operator computes, PoolBudget.limit(maxSize 50, free connections, the \
        operator's own %d) = **%d**. With 2 pods the clients are split evenly between the two PgBouncers (one pgbench \
        process each), as the pooler Service spreads connections. Server connections are summed over the PgBouncers \
        (SHOW POOLS: active, idle, used; sampled every 250ms), as are the pool sizes (SHOW DATABASES).

        """.formatted(Runtime.getRuntime().availableProcessors(), SteppedLoad.describe(phases), free,
        SteppedLoad.timeScale(), UnitDataSources.MAX_CONNECTIONS_PER_TARGET, budget));
    md.append(SteppedLoad.table(results));

    var s1 = find(results, ONE, spike);
    var s2 = find(results, TWO, spike);
    double avg1 = averageServers(results, ONE, phases);
    double avg2 = averageServers(results, TWO, phases);
    int max1 = one.phases().stream().mapToInt(PhaseResult::peakServers).max().orElse(0);
    int max2 = two.phases().stream().mapToInt(PhaseResult::peakServers).max().orElse(0);
    md.append("\n## 2 pods ÷ 1 pod\n\n| | 1 pod | 2 pods | 2 pods ÷ 1 pod |\n|---|---:|---:|---:|\n");
    row(md, "spike: TPS", "%.0f", s1.tps(), s2.tps());
    row(md, "spike: latency p95 (ms, incl. queueing)", "%.1f", s1.p95Millis(), s2.p95Millis());
    row(md, "spike: avg wait in PgBouncer (ms)", "%.2f", s1.avgWaitMillis(), s2.avgWaitMillis());
    for (Phase phase : phases) {
      row(md, phase.name() + ": avg total server conns", "%.1f", find(results, ONE, phase).avgServers(),
          find(results, TWO, phase).avgServers());
    }
    row(md, "whole run: avg total server conns (time-weighted)", "%.1f", avg1, avg2);
    row(md, "whole run: max total server conns", "%.0f", max1, max2);

    md.append("\n## The budget\n\n| | 1 pod | 2 pods |\n|---|---:|---:|\n");
    int pools1 = one.phases().stream().mapToInt(PhaseResult::peakPoolSizes).max().orElse(0);
    int pools2 = two.phases().stream().mapToInt(PhaseResult::peakPoolSizes).max().orElse(0);
    md.append(String.format(Locale.ROOT, "| most pool slots the loop held after a tick (sum of sizes) | %d | %d |%n",
        one.mostHeldByLoop(), two.mostHeldByLoop()));
    md.append(String.format(Locale.ROOT, "| most pool slots in force, sampled (sum of SHOW DATABASES pool_size) | %d | %d |%n",
        pools1, pools2));
    md.append(String.format(Locale.ROOT, "| most server connections, sampled | %d | %d |%n", max1, max2));
    boolean exceeded = Math.max(Math.max(one.mostHeldByLoop(), two.mostHeldByLoop()), Math.max(Math.max(pools1, pools2),
        Math.max(max1, max2))) > budget;
    md.append(String.format(Locale.ROOT, "%nBudget %d: %s.%n", budget, exceeded
        ? "**exceeded** in at least one of the rows above" : "never exceeded (by the loop's sizes or in any sample)"));
    return md.toString();
  }

  private static void row(StringBuilder md, String label, String format, double one, double two) {
    md.append(String.format(Locale.ROOT, "| %s | " + format + " | " + format + " | %.2f |%n", label, one, two, two / one));
  }
}
