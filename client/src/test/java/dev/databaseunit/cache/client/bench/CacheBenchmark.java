package dev.databaseunit.cache.client.bench;

import dev.databaseunit.cache.client.CacheBacking;
import dev.databaseunit.cache.client.CachePolicies;
import dev.databaseunit.cache.client.CacheStats;
import dev.databaseunit.cache.client.CachedType;
import dev.databaseunit.cache.client.TwoLevelCache;
import dev.databaseunit.cache.client.ValueCodec;
import dev.databaseunit.cache.client.testing.LocalServices;
import dev.databaseunit.cache.client.testing.ScratchDatabase;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Zipf-distributed read/write workload over the seed schema's users and recipes, run side by side in one process
 * against (a) the database directly, (b) Redis only, (c) L1 + Redis, and (c) again from an empty cache. Two cache
 * instances (two "pods") share the threads, so cross-instance invalidation is part of the cost. Writes a markdown
 * table to the output file. Arguments: {@code key=value} pairs, see {@link Settings}.
 */
public final class CacheBenchmark {

  record Settings(Path schema, Path out, int keys, double zipf, double writeShare, int threads, int warmupOps,
      int measuredOps, long l1Size, Duration maxPhase) {

    static Settings parse(String[] args) {
      Map<String, String> given = new HashMap<>();
      for (String arg : args) {
        int eq = arg.indexOf('=');
        given.put(arg.substring(0, eq), arg.substring(eq + 1));
      }
      return new Settings(Path.of(given.getOrDefault("schema", "samples/recipe-schema.yaml")),
          Path.of(given.getOrDefault("out", "bench/results/cache.md")),
          Integer.parseInt(given.getOrDefault("keys", "100000")),
          Double.parseDouble(given.getOrDefault("zipf", "1.0")),
          Double.parseDouble(given.getOrDefault("writes", "0.05")),
          Integer.parseInt(given.getOrDefault("threads", "4")),
          Integer.parseInt(given.getOrDefault("warmup", "60000")),
          Integer.parseInt(given.getOrDefault("ops", "300000")),
          Long.parseLong(given.getOrDefault("l1", "10000")),
          Duration.ofSeconds(Long.parseLong(given.getOrDefault("maxPhaseSeconds", "90"))));
    }

    int users() {
      return keys / 4;
    }
  }

  enum Setup { DIRECT, L2_ONLY, L1_L2 }

  record Result(String name, long ops, double seconds, long[] reads, long[] writes, CacheStats stats,
      long databaseReads, int mismatches, int checked) {}

  /** Zipf(s) over ranks 0..n-1 by inverse CDF; rank r is drawn with probability ∝ 1/(r+1)^s. */
  static final class Zipf {
    private final double[] cumulative;

    Zipf(int n, double s) {
      cumulative = new double[n];
      double sum = 0;
      for (int rank = 0; rank < n; rank++) {
        sum += 1 / Math.pow(rank + 1, s);
        cumulative[rank] = sum;
      }
      for (int rank = 0; rank < n; rank++) {
        cumulative[rank] /= sum;
      }
    }

    int next(SplittableRandom random) {
      int index = Arrays.binarySearch(cumulative, random.nextDouble());
      return Math.min(index >= 0 ? index : -index - 1, cumulative.length - 1);
    }
  }

  private final Settings settings;
  private final LocalServices services = LocalServices.load();
  private final SeedTables tables;
  private final Zipf zipf;
  private final int[] keyOfRank;
  private final RedisURI redisUri;

  private CacheBenchmark(Settings settings, SeedTables tables) {
    this.settings = settings;
    this.tables = tables;
    this.zipf = new Zipf(settings.keys(), settings.zipf());
    this.keyOfRank = shuffledKeys(settings.keys());
    this.redisUri = RedisURI.create("127.0.0.1", services.redisPort());
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    LocalServices services = LocalServices.load();
    Instant started = Instant.now();
    String loadBefore = loadAverage();
    try (ScratchDatabase database = new ScratchDatabase(services, "cachebench");
        SeedTables tables = new SeedTables(database, settings.schema(), settings.users(), settings.keys() - settings.users())) {
      var benchmark = new CacheBenchmark(settings, tables);
      List<Result> results = new ArrayList<>();
      results.add(benchmark.run("(a) no cache: direct PostgreSQL", Setup.DIRECT, true));
      results.add(benchmark.run("(b) L2 only: Redis", Setup.L2_ONLY, true));
      results.add(benchmark.run("(c) L1 + L2: Caffeine + Redis", Setup.L1_L2, true));
      results.add(benchmark.run("(c) L1 + L2, cold start (empty caches)", Setup.L1_L2, false));
      String report = benchmark.report(results, Duration.between(started, Instant.now()), loadBefore, loadAverage());
      Files.createDirectories(settings.out().toAbsolutePath().getParent());
      Files.writeString(settings.out(), report);
      System.out.println(report);
    }
    System.exit(0);
  }

  /** Key index 0..keys-1 for each Zipf rank: hot keys spread over users and recipes. */
  private static int[] shuffledKeys(int keys) {
    int[] keyOfRank = new int[keys];
    for (int i = 0; i < keys; i++) {
      keyOfRank[i] = i;
    }
    SplittableRandom random = new SplittableRandom(42);
    for (int i = keys - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = keyOfRank[i];
      keyOfRank[i] = keyOfRank[j];
      keyOfRank[j] = swap;
    }
    return keyOfRank;
  }

  /** A read or write of one key, by whatever the setup is. */
  private interface Access {
    Optional<String> read(boolean user, String id) throws Exception;

    void write(boolean user, String id, String value) throws Exception;
  }

  private Result run(String name, Setup setup, boolean warm) throws Exception {
    System.out.println("running " + name);
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 6);
    CachePolicies policies = CachePolicies.seedDefaults(prefix);
    List<TwoLevelCache> caches = new ArrayList<>();
    List<CachedType<String>> types = new ArrayList<>();
    List<Access> accesses = new ArrayList<>();
    if (setup == Setup.DIRECT) {
      accesses.add(new Access() {
        @Override
        public Optional<String> read(boolean user, String id) throws Exception {
          return backing(user).load(id);
        }

        @Override
        public void write(boolean user, String id, String value) throws Exception {
          backing(user).write(Map.of(id, value));
        }
      });
    } else {
      for (int pod = 0; pod < 2; pod++) {
        TwoLevelCache cache = TwoLevelCache.builder(redisUri, policies)
            .l1MaximumSize(setup == Setup.L1_L2 ? settings.l1Size() : 0).build();
        caches.add(cache);
        CachedType<String> users = cache.type("user_profiles", ValueCodec.STRING, tables.users);
        CachedType<String> recipes = cache.type("recipes", ValueCodec.STRING, tables.recipes);
        types.add(users);
        types.add(recipes);
        accesses.add(new Access() {
          @Override
          public Optional<String> read(boolean user, String id) {
            return (user ? users : recipes).get(id);
          }

          @Override
          public void write(boolean user, String id, String value) {
            (user ? users : recipes).put(id, value);
          }
        });
      }
      if (warm) {
        prefill(prefix);
      }
    }
    try {
      return measure(name, accesses, types, warm ? settings.warmupOps() : 0, prefix, setup != Setup.DIRECT);
    } finally {
      caches.forEach(TwoLevelCache::close);
      removeKeys(prefix);
    }
  }

  private CacheBacking<String> backing(boolean user) {
    return user ? tables.users : tables.recipes;
  }

  private Result measure(String name, List<Access> accesses, List<CachedType<String>> types, int warmupOps,
      String prefix, boolean cached) throws Exception {
    int threads = settings.threads();
    AtomicReference<CacheStats> statsBefore = new AtomicReference<>();
    long[] databaseReadsBefore = new long[1];
    long[] measureStart = new long[1];
    CyclicBarrier warmedUp = new CyclicBarrier(threads, () -> {
      statsBefore.set(sum(types));
      databaseReadsBefore[0] = tables.databaseReads.sum();
      measureStart[0] = System.nanoTime();
    });
    long[][] reads = new long[threads][];
    long[][] writes = new long[threads][];
    long[] ops = new long[threads];
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Access access = accesses.get(t % accesses.size());
      workers.add(Thread.ofPlatform().name("bench-" + t).start(() -> {
        try {
          SplittableRandom random = new SplittableRandom(1_000 + thread);
          int perThreadWarmup = warmupOps / threads;
          for (int i = 0; i < perThreadWarmup; i++) {
            execute(access, nextOp(random));
          }
          warmedUp.await();
          int perThread = settings.measuredOps() / threads;
          long[] readNanos = new long[perThread];
          long[] writeNanos = new long[perThread];
          int readCount = 0;
          int writeCount = 0;
          long deadline = measureStart[0] + settings.maxPhase().toNanos();
          int i = 0;
          for (; i < perThread && System.nanoTime() < deadline; i++) {
            Op op = nextOp(random);
            long start = System.nanoTime();
            execute(access, op);
            long elapsed = System.nanoTime() - start;
            if (op.write()) {
              writeNanos[writeCount++] = elapsed;
            } else {
              readNanos[readCount++] = elapsed;
            }
          }
          reads[thread] = Arrays.copyOf(readNanos, readCount);
          writes[thread] = Arrays.copyOf(writeNanos, writeCount);
          ops[thread] = i;
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
          reads[thread] = new long[0];
          writes[thread] = new long[0];
        }
      }));
    }
    for (Thread worker : workers) {
      worker.join();
    }
    double seconds = (System.nanoTime() - measureStart[0]) / 1e9;
    if (failure.get() != null) {
      throw new IllegalStateException("benchmark thread failed", failure.get());
    }
    CacheStats stats = cached ? minus(sum(types), statsBefore.get()) : null;
    long databaseReads = tables.databaseReads.sum() - databaseReadsBefore[0];
    int[] consistency = cached ? checkHotKeys(types, prefix) : new int[2];
    return new Result(name, Arrays.stream(ops).sum(), seconds, merge(reads), merge(writes), stats, databaseReads,
        consistency[0], consistency[1]);
  }

  private record Op(boolean user, String id, boolean write, String value) {}

  /** The next operation of a thread: a Zipf-drawn key, read or (with the write share) written with a new version. */
  private Op nextOp(SplittableRandom random) {
    int key = keyOfRank[zipf.next(random)];
    boolean user = key < settings.users();
    long rowId = user ? key + 1 : key - settings.users() + 1;
    String id = String.valueOf(rowId);
    if (random.nextDouble() >= settings.writeShare()) {
      return new Op(user, id, false, null);
    }
    String version = " v" + random.nextInt(1_000_000);
    return new Op(user, id, true, user ? SeedTables.userValue(rowId, "User " + id + version)
        : tables.recipeValue(rowId, "Recipe " + id + version));
  }

  private static void execute(Access access, Op op) throws Exception {
    if (op.write()) {
      access.write(op.user(), op.id(), op.value());
    } else if (access.read(op.user(), op.id()).isEmpty()) {
      throw new IllegalStateException("no row for " + (op.user() ? "user " : "recipe ") + op.id());
    }
  }

  /** Puts every row into Redis, as a cache that has been running longer than its keys' revisit interval holds. */
  private void prefill(String prefix) throws Exception {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect();
        Connection db = tables.newConnection()) {
      connection.setAutoFlushCommands(false);
      var commands = connection.async();
      List<RedisFuture<String>> pending = new ArrayList<>();
      SetArgs ttl = SetArgs.Builder.px(Duration.ofMinutes(30));
      try (ResultSet rows = db.createStatement().executeQuery("SELECT id, email, display_name FROM users")) {
        while (rows.next()) {
          pending.add(commands.set(prefix + ":user_profiles:" + rows.getLong(1), rows.getString(2) + "\u001f" + rows.getString(3), ttl));
          flushEvery(connection, pending);
        }
      }
      try (ResultSet rows = db.createStatement().executeQuery(
          "SELECT id, user_id, title, cuisine_type, difficulty_level, instructions FROM recipes")) {
        while (rows.next()) {
          pending.add(commands.set(prefix + ":recipes:" + rows.getLong(1), rows.getLong(2) + "\u001f" + rows.getString(3)
              + "\u001f" + rows.getString(4) + "\u001f" + rows.getShort(5) + "\u001f" + rows.getString(6), ttl));
          flushEvery(connection, pending);
        }
      }
      connection.flushCommands();
      for (RedisFuture<String> future : pending) {
        future.get(10, TimeUnit.SECONDS);
      }
    } finally {
      client.shutdown();
    }
  }

  private static void flushEvery(StatefulRedisConnection<String, String> connection, List<RedisFuture<String>> pending)
      throws Exception {
    if (pending.size() % 1_000 == 0) {
      connection.flushCommands();
      for (RedisFuture<String> future : pending) {
        future.get(10, TimeUnit.SECONDS);
      }
      pending.clear();
    }
  }

  /**
   * After the caches closed (write-behind drained): the 1 000 hottest keys in Redis must equal the database.
   * Returns {mismatches, keys checked}.
   */
  private int[] checkHotKeys(List<CachedType<String>> types, String prefix) throws Exception {
    RedisClient client = RedisClient.create(redisUri);
    int mismatches = 0;
    int checked = 0;
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      types.forEach(type -> type.flush(Duration.ofSeconds(30)));
      for (int rank = 0; rank < 1_000; rank++) {
        int key = keyOfRank[rank];
        boolean user = key < settings.users();
        String id = String.valueOf(user ? key + 1 : key - settings.users() + 1);
        String cached = connection.sync().get(prefix + (user ? ":user_profiles:" : ":recipes:") + id);
        if (cached != null) {
          checked++;
          String stored = backing(user).load(id).orElse(null);
          if (!cached.equals(stored)) {
            mismatches++;
          }
        }
      }
    } finally {
      client.shutdown();
    }
    return new int[] {mismatches, checked};
  }

  private void removeKeys(String prefix) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page = connection.sync().scan(cursor, ScanArgs.Builder.matches(prefix + ":*").limit(1_000));
        if (!page.getKeys().isEmpty()) {
          connection.sync().unlink(page.getKeys().toArray(String[]::new));
        }
        cursor = page;
      } while (!cursor.isFinished());
    } finally {
      client.shutdown();
    }
  }

  private static CacheStats sum(List<CachedType<String>> types) {
    long l1h = 0, l1m = 0, l2h = 0, l2m = 0, errors = 0;
    for (CachedType<String> type : types) {
      CacheStats stats = type.stats();
      l1h += stats.l1Hits();
      l1m += stats.l1Misses();
      l2h += stats.l2Hits();
      l2m += stats.l2Misses();
      errors += stats.redisErrors();
    }
    return new CacheStats(l1h, l1m, l2h, l2m, errors);
  }

  private static CacheStats minus(CacheStats after, CacheStats before) {
    return new CacheStats(after.l1Hits() - before.l1Hits(), after.l1Misses() - before.l1Misses(),
        after.l2Hits() - before.l2Hits(), after.l2Misses() - before.l2Misses(), after.redisErrors() - before.redisErrors());
  }

  private static long[] merge(long[][] parts) {
    long[] all = Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    Arrays.sort(all);
    return all;
  }

  private static double percentileMillis(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
  }

  /** The 1-minute load average: the machine is shared, so the report says how busy it was. */
  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  private String report(List<Result> results, Duration took, String loadBefore, String loadAfter) {
    StringBuilder md = new StringBuilder();
    md.append("# Cache benchmark: client library (L1 Caffeine + L2 Redis) vs direct PostgreSQL\n\n");
    md.append(String.format(Locale.ROOT, "Generated by `bench/cache.sh` on %s in %d s on %d cores shared with other"
        + " builds (1-minute load average %s at the start, %s at the end): absolute numbers are noisy, compare the"
        + " rows of one run. PostgreSQL, Redis and the benchmark share those cores.%n%n", Instant.now().truncatedTo(
            java.time.temporal.ChronoUnit.SECONDS), took.toSeconds(), Runtime.getRuntime().availableProcessors(),
        loadBefore, loadAfter));
    md.append(String.format(Locale.ROOT, "Workload: %,d keys of the seed schema (%,d `users` as `user_profiles`,"
        + " write-through; %,d `recipes`, write-behind; seed policies), Zipf s = %.1f over the keys (hot keys spread"
        + " over both tables), %.0f %% reads / %.0f %% writes, %d threads over two cache instances (two \"pods\","
        + " so every write invalidates the other's L1), L1 bounded to %,d entries per type. Each setup runs %,d warm-up"
        + " operations, then measures %,d (at most %d s).%n%n", settings.keys(), settings.users(),
        settings.keys() - settings.users(), settings.zipf(), 100 * (1 - settings.writeShare()),
        100 * settings.writeShare(), settings.threads(), settings.l1Size(), settings.warmupOps(),
        settings.measuredOps(), settings.maxPhase().toSeconds()));
    md.append("| setup | ops/s | × direct | read p50 ms | read p99 ms | write p99 ms | L1 hit | L2 hit (of L1 misses) |"
        + " overall hit | DB reads per read | hot keys equal to DB |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    double directThroughput = results.getFirst().ops() / results.getFirst().seconds();
    for (Result result : results) {
      double throughput = result.ops() / result.seconds();
      CacheStats stats = result.stats();
      md.append(String.format(Locale.ROOT, "| %s | %,.0f | %.1f | %.3f | %.3f | %.3f | %s | %s | %s | %.3f | %s |%n",
          result.name(), throughput, throughput / directThroughput, percentileMillis(result.reads(), 0.50),
          percentileMillis(result.reads(), 0.99), percentileMillis(result.writes(), 0.99),
          stats == null ? "–" : percent(stats.l1HitRate()), stats == null ? "–" : percent(stats.l2HitRate()),
          stats == null ? "–" : percent(stats.overallHitRate()),
          result.reads().length == 0 ? 0 : (double) result.databaseReads() / result.reads().length,
          stats == null ? "–" : (result.checked() - result.mismatches()) + "/" + result.checked()));
    }
    Result warm = results.get(2);
    CacheStats stats = warm.stats();
    md.append(String.format(Locale.ROOT, "%nSeed targets, (c) L1 + L2 warm: overall hit %s (> 70 %%) %s, L1 hit %s"
        + " (> 40 %%) %s, L2 hit of L1 misses %s (> 85 %%) %s, p99 cache get %.3f ms (< 10 ms) %s.%n",
        percent(stats.overallHitRate()), mark(stats.overallHitRate() > 0.70), percent(stats.l1HitRate()),
        mark(stats.l1HitRate() > 0.40), percent(stats.l2HitRate()), mark(stats.l2HitRate() > 0.85),
        percentileMillis(warm.reads(), 0.99), mark(percentileMillis(warm.reads(), 0.99) < 10)));
    md.append("""

        Notes:
        - "read" is `CachedType.get` (L1, else L2, else a database load that fills both); "write" is `put` with the
          type's strategy (users: database then cache; recipes: cache then the write-behind queue).
        - "warm" setups start with every row in Redis (as a cache that has run longer than its keys' revisit
          interval holds them) and an empty L1 that fills during the warm-up; the cold-start row starts with both
          empty and shows what the first minutes after a deployment look like: the tail of a Zipf distribution is
          mostly first-time keys, so L2's share of L1 misses stays low until the cache has seen them.
        - "hot keys equal to DB": after the run (write-behind drained), the 1 000 hottest keys found in Redis compared
          with their rows; a mismatch would be a stale value left behind by the strategies.
        """);
    return md.toString();
  }

  private static String percent(double ratio) {
    return Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.1f %%", 100 * ratio);
  }

  private static String mark(boolean met) {
    return met ? "met" : "NOT met";
  }
}
