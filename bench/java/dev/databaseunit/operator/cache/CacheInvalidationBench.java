package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.testing.LocalServices;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write-side price and the speed of event-driven invalidation, in one run on the seed schema: the same
 * single-row UPDATE workload on {@code users} (Zipf-distributed ids, several clients) (a) without the cache
 * trigger and (b) with the operator's trigger, queue and listener unlinking keys from the local Redis.
 * Reports UPDATE throughput and latency side by side, and the invalidation lag (row change to UNLINK).
 * Run with bench/cache-invalidation.sh [users] [seconds per phase] [clients] [rounds].
 */
public final class CacheInvalidationBench {
  private CacheInvalidationBench() {}

  public static void main(String[] args) throws Exception {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    var services = LocalServices.get();
    String db = "du_bench_cache";
    String adminUrl = "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/postgres";
    try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword()); var s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + db);
    }
    var target = new PostgresTarget(services.postgresHost(), services.postgresPort(), db, services.postgresUser(),
        services.postgresPassword(), PostgresTls.Mode.DISABLE, null);
    var caFiles = CaCertificates.inTempDirectory();
    seed(target, caFiles, users);

    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);
    var policy = EffectiveCachePolicy.of("bench", "bench", new CacheSpec(null, null, null, null, prefix, null, null));
    var resources = DefaultClientResources.create();
    try (var redis = LettuceCacheServer.connect(resources,
        new RedisEndpoint("127.0.0.1", services.redisPort(), false, null, null, null))) {
      try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles))) {
        InvalidationTriggers.ensure(c, policy.eventDrivenTypes());
      }
      List<Long> lagMicros = Collections.synchronizedList(new ArrayList<>());
      var keysRemoved = new AtomicLong();
      var listener = new InvalidationListener("bench/bench", target, caFiles, policy, () -> Optional.of(redis), Clock.systemUTC(),
          new InvalidationListener.Observer() {
            @Override
            public void invalidated(int keys, Duration lag) {
              lagMicros.add(lag.toNanos() / 1000);
              keysRemoved.addAndGet(keys);
            }

            @Override
            public void reconnected() {}
          });
      listener.start();
      // A warm cache: every user's key exists, so each UNLINK really removes something.
      var filler = io.lettuce.core.RedisClient.create(resources, io.lettuce.core.RedisURI.create("127.0.0.1", services.redisPort()));
      try (var connection = filler.connect()) {
        for (int from = 1; from <= users; from += 1000) {
          var batch = new java.util.HashMap<String, String>();
          for (int id = from; id < Math.min(from + 1000, users + 1); id++) {
            batch.put(policy.key("user_profiles", Integer.toString(id)), "{\"id\":" + id + "}");
          }
          connection.sync().mset(batch);
        }
      } finally {
        filler.shutdown();
      }
      // Interleaved rounds (a, b, a, b, ...), because other work on this machine moves throughput between runs.
      List<Phase> baseline = new ArrayList<>();
      List<Phase> withCache = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        setTriggers(target, caFiles, false);
        baseline.add(run(target, caFiles, users, seconds, clients));
        setTriggers(target, caFiles, true);
        withCache.add(run(target, caFiles, users, seconds, clients));
      }
      Thread.sleep(2000);
      listener.close();
      long queued;
      try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles));
          var rs = c.createStatement().executeQuery("SELECT count(*) FROM databaseunit_cache.pending_invalidations")) {
        rs.next();
        queued = rs.getLong(1);
      }
      redis.scan(EffectiveCachePolicy.globEscape(prefix) + ":*", redis::unlink);
      write(users, seconds, clients, rounds, Phase.combine(baseline), Phase.combine(withCache), lagMicros, keysRemoved.get(), queued);
    } finally {
      resources.shutdown();
      try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword()); var s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      }
    }
  }

  /** One phase: throughput and the sorted UPDATE latencies in microseconds. */
  private record Phase(double perSecond, long[] latencies) {
    /** Median throughput of the rounds; latencies pooled. */
    static Phase combine(List<Phase> rounds) {
      double[] rates = rounds.stream().mapToDouble(Phase::perSecond).sorted().toArray();
      long[] all = rounds.stream().flatMapToLong(p -> java.util.Arrays.stream(p.latencies())).sorted().toArray();
      return new Phase(rates[rates.length / 2], all);
    }

    long p50Micros() {
      return percentile(latencies, 0.50);
    }

    long p99Micros() {
      return percentile(latencies, 0.99);
    }
  }

  /** Baseline phases run with the cache triggers disabled, so the listener and its connection stay as they are. */
  private static void setTriggers(PostgresTarget target, CaCertificates caFiles, boolean enabled) throws Exception {
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles)); var s = c.createStatement()) {
      s.execute("ALTER TABLE users " + (enabled ? "ENABLE" : "DISABLE") + " TRIGGER USER");
    }
  }

  private static void seed(PostgresTarget target, CaCertificates caFiles, int users) throws Exception {
    String yaml = Files.readString(Path.of("samples/recipe-schema.yaml"));
    String v1 = yaml.substring(yaml.indexOf("V1__recipe_app.sql: |") + "V1__recipe_app.sql: |".length(), yaml.indexOf("  V2__consents.sql"));
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles)); var s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector");
      s.execute(v1.replaceAll("(?m)^    ", ""));
      s.execute("INSERT INTO users (email, display_name) SELECT 'u' || g || '@example.com', 'user ' || g FROM generate_series(1, "
          + users + ") g");
      s.execute("VACUUM ANALYZE users");
    }
  }

  /** clients threads each UPDATE one Zipf-chosen user per statement (autocommit) for the given time. */
  private static Phase run(PostgresTarget target, CaCertificates caFiles, int users, int seconds, int clients) throws Exception {
    var latencies = new ConcurrentLinkedQueue<long[]>();
    var threads = new ArrayList<Thread>();
    Instant end = Instant.now().plusSeconds(seconds);
    long start = System.nanoTime();
    for (int t = 0; t < clients; t++) {
      int seed = t;
      threads.add(Thread.ofPlatform().start(() -> {
        var zipf = new Zipf(users, 1.0, new SplittableRandom(seed));
        long[] mine = new long[4_000_000];
        int n = 0;
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles));
            var ps = c.prepareStatement("UPDATE users SET display_name = ? WHERE id = ?")) {
          while (Instant.now().isBefore(end) && n < mine.length) {
            ps.setString(1, "n" + n);
            ps.setLong(2, zipf.next());
            long t0 = System.nanoTime();
            ps.executeUpdate();
            mine[n++] = (System.nanoTime() - t0) / 1000;
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        latencies.add(java.util.Arrays.copyOf(mine, n));
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] all = latencies.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
    return new Phase(all.length / elapsed, all);
  }

  private static long percentile(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** Zipf(s) over 1..n by inverse CDF (n is small enough for a table). */
  private static final class Zipf {
    private final double[] cdf;
    private final SplittableRandom random;

    Zipf(int n, double s, SplittableRandom random) {
      this.random = random;
      cdf = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += 1 / Math.pow(i + 1, s);
        cdf[i] = sum;
      }
      for (int i = 0; i < n; i++) {
        cdf[i] /= sum;
      }
    }

    long next() {
      int i = java.util.Arrays.binarySearch(cdf, random.nextDouble());
      return (i >= 0 ? i : -i - 1) + 1;
    }
  }

  private static void write(int users, int seconds, int clients, int rounds, Phase baseline, Phase withCache, List<Long> lagMicros,
      long keysRemoved, long queued) throws Exception {
    long[] lags = lagMicros.stream().mapToLong(Long::longValue).sorted().toArray();
    String md = """
        # Event-driven cache invalidation: write cost and lag (bench/cache-invalidation.sh)

        Measured %s on this machine (2 cores shared with other work). Seed schema, %d users, %d clients each
        running single-row `UPDATE users SET display_name = ? WHERE id = ?` (autocommit, Zipf s=1 ids), %d s per phase,
        %d interleaved rounds of (a) then (b): throughput is the median of the rounds, latencies are pooled.
        (a) baseline: no trigger. (b) the operator's invalidation: a row trigger queueing the key, a NOTIFY per statement, and the listener
        draining the queue and UNLINKing `<prefix>:user_profiles:<id>` from the local Redis while the load runs.

        | | (a) no invalidation | (b) trigger + listener | ratio b/a |
        |---|---:|---:|---:|
        | UPDATEs per second | %.0f | %.0f | %.2f× |
        | UPDATE latency p50 | %.2f ms | %.2f ms | %.2f× |
        | UPDATE latency p99 | %.2f ms | %.2f ms | %.2f× |

        Invalidation lag (trigger `clock_timestamp()` → UNLINK done, the largest of each drained batch, so an upper
        bound per key) over %d batches, %d keys: p50 %.1f ms, p99 %.1f ms, max %.1f ms. Queue rows left after the run: %d.
        """.formatted(Instant.now(), users, clients, seconds, rounds,
        baseline.perSecond(), withCache.perSecond(), withCache.perSecond() / baseline.perSecond(),
        baseline.p50Micros() / 1000.0, withCache.p50Micros() / 1000.0, (double) withCache.p50Micros() / baseline.p50Micros(),
        baseline.p99Micros() / 1000.0, withCache.p99Micros() / 1000.0, (double) withCache.p99Micros() / baseline.p99Micros(),
        lags.length, keysRemoved, percentile(lags, 0.5) / 1000.0, percentile(lags, 0.99) / 1000.0,
        lags.length == 0 ? 0 : lags[lags.length - 1] / 1000.0, queued);
    Path out = Path.of("bench/results/cache-invalidation.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }
}
