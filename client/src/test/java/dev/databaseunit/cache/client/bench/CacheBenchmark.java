package dev.databaseunit.cache.client.bench;

import dev.databaseunit.cache.client.CachePolicies;
import dev.databaseunit.cache.client.CachePolicy;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The seed's four cached types, each with its seed policy (strategy and TTL), under a Zipf read/write workload, one
 * type at a time and all together, side by side against (a) the database directly, (b) Redis only, (c) L1 + Redis
 * warm and (d) from empty caches; first on an idle database, then with a concurrent pgbench taking its CPU. Two
 * cache instances (two "pods") share the threads, so cross-instance invalidation is part of the cost, and every
 * read checks that it did not return a value older than the newest write that had completed when it started.
 * Writes a markdown report. Arguments: {@code key=value} pairs, see {@link Settings}.
 */
public final class CacheBenchmark {

  record Settings(Path schema, Path out, int users, int recipes, int tasteProfiles, int embeddings, int queries,
      double zipf, double writeShare, double searchInvalidations, int threads, Duration warmup, Duration measure, long l1Size, int pgbenchClients) {

    static Settings parse(String[] args) {
      Map<String, String> given = new HashMap<>();
      for (String arg : args) {
        int eq = arg.indexOf('=');
        given.put(arg.substring(0, eq), arg.substring(eq + 1));
      }
      return new Settings(Path.of(given.getOrDefault("schema", "samples/recipe-schema.yaml")),
          Path.of(given.getOrDefault("out", "bench/results/cache.md")),
          Integer.parseInt(given.getOrDefault("users", "20000")),
          Integer.parseInt(given.getOrDefault("recipes", "60000")),
          Integer.parseInt(given.getOrDefault("tasteProfiles", "2000")),
          Integer.parseInt(given.getOrDefault("embeddings", "10000")),
          Integer.parseInt(given.getOrDefault("queries", "500")),
          Double.parseDouble(given.getOrDefault("zipf", "1.0")),
          Double.parseDouble(given.getOrDefault("writes", "0.05")),
          Double.parseDouble(given.getOrDefault("searchInvalidations", "0.005")),
          Integer.parseInt(given.getOrDefault("threads", "4")),
          Duration.ofSeconds(Long.parseLong(given.getOrDefault("warmupSeconds", "2"))),
          Duration.ofSeconds(Long.parseLong(given.getOrDefault("measureSeconds", "5"))),
          Long.parseLong(given.getOrDefault("l1", "10000")),
          Integer.parseInt(given.getOrDefault("pgbenchClients", "4")));
    }
  }

  enum Setup {
    DIRECT("direct PostgreSQL"), L2_ONLY("L2 only (Redis)"), L1_L2("L1 + L2 warm"), L1_L2_COLD("L1 + L2 cold");

    final String label;

    Setup(String label) {
      this.label = label;
    }
  }

  /**
   * One cached type: its source, Zipf over its ids (hot ids shuffled), and for versioned types the newest
   * completed write per id (version and when it completed), kept across phases as the database keeps the rows.
   */
  static final class Kind {
    final String dataType;
    final SeedTables.Source source;
    final boolean versioned;
    final Zipf zipf;
    final int[] idOfRank;
    final String[] current;
    final AtomicLongArray committed;
    final AtomicLongArray committedAt;
    final Object[] writeLocks = new Object[256];

    Kind(String dataType, SeedTables.Source source, int keys, double s, boolean versioned) {
      this.dataType = dataType;
      this.source = source;
      this.versioned = versioned;
      this.zipf = new Zipf(keys, s);
      this.idOfRank = shuffledIds(keys, versioned ? 1 : 0, dataType.hashCode());
      this.current = new String[keys + 1];
      this.committed = new AtomicLongArray(keys + 1);
      this.committedAt = new AtomicLongArray(keys + 1);
      Arrays.setAll(writeLocks, i -> new Object());
    }

    /**
     * Takes the rows as the database now holds them as the newest committed writes. Needed before every phase:
     * write-behind does not order one id's writes across pods, so the database may end a phase on an older version
     * than the last accepted one (those reads are counted in that phase, not the next).
     */
    void resetToDatabase() throws Exception {
      long now = System.nanoTime();
      for (var row : source.all().entrySet()) {
        int id = Integer.parseInt(row.getKey());
        current[id] = row.getValue();
        committed.set(id, SeedTables.version(row.getValue()));
        committedAt.set(id, now);
      }
    }
  }

  record Workload(String name, List<Kind> kinds) {}

  /** Per type of one phase: latencies (sorted), hit statistics, stale reads and the hot-key check. */
  record KindResult(long ops, long[] reads, long[] writes, CacheStats stats, long staleReads, long checkedReads,
      long maxStaleNanos, int hotChecked, int hotMismatches) {}

  record Result(Workload workload, Setup setup, double seconds, Map<Kind, KindResult> kinds) {
    double throughput() {
      return kinds.values().stream().mapToLong(KindResult::ops).sum() / seconds;
    }

    long[] reads() {
      return merge(kinds.values().stream().map(KindResult::reads).toArray(long[][]::new));
    }

    /** Summed over the types; null without a cache. */
    CacheStats stats() {
      return setup == Setup.DIRECT ? null : kinds.values().stream().map(KindResult::stats)
          .reduce(CacheBenchmark::plus).orElseThrow();
    }
  }

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

  /** A growable array of nanoseconds. */
  private static final class Samples {
    private long[] values = new long[1 << 14];
    private int size;

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }

  /** What one thread measured for one type. */
  private static final class Tally {
    final Samples reads = new Samples();
    final Samples writes = new Samples();
    long stale;
    long checked;
    long maxStaleNanos;
  }

  private final Settings settings;
  private final SeedTables tables;
  private final RedisURI redisUri;
  private final AtomicLong versions = new AtomicLong();

  private CacheBenchmark(Settings settings, SeedTables tables, LocalServices services) {
    this.settings = settings;
    this.tables = tables;
    this.redisUri = RedisURI.create("127.0.0.1", services.redisPort());
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    LocalServices services = LocalServices.load();
    Instant started = Instant.now();
    String loadBefore = loadAverage();
    try (ScratchDatabase database = new ScratchDatabase(services, "cachebench");
        ScratchDatabase pgbenchDatabase = new ScratchDatabase(services, "cachebench_load");
        SeedTables tables = new SeedTables(database, settings.schema(), settings.users(), settings.recipes(),
            settings.tasteProfiles(), settings.embeddings(), settings.queries())) {
      System.out.println("data ready after " + Duration.between(started, Instant.now()).toSeconds() + " s");
      var benchmark = new CacheBenchmark(settings, tables, services);
      var users = new Kind("user_profiles", tables.users, settings.users(), settings.zipf(), true);
      var recipes = new Kind("recipes", tables.recipes, settings.recipes(), settings.zipf(), true);
      var search = new Kind("search_results", tables.search, tables.search.size(), settings.zipf(), false);
      var taste = new Kind("taste_profiles", tables.tasteProfiles, settings.tasteProfiles(), settings.zipf(), true);
      List<Workload> workloads = List.of(new Workload("user_profiles", List.of(users)),
          new Workload("recipes", List.of(recipes)), new Workload("search_results", List.of(search)),
          new Workload("taste_profiles", List.of(taste)), new Workload("all four", List.of(users, recipes, search, taste)));
      Map<String, List<Result>> byLoad = new LinkedHashMap<>();
      byLoad.put("idle database", benchmark.runAll(workloads));
      Pgbench pgbench = Pgbench.start(services, pgbenchDatabase.name(), settings.pgbenchClients());
      String loadDuring;
      try {
        byLoad.put("database under pgbench", benchmark.runAll(workloads));
        loadDuring = loadAverage();
      } finally {
        pgbench.stop();
      }
      String report = benchmark.report(byLoad, pgbench, Duration.between(started, Instant.now()), loadBefore,
          loadDuring);
      Files.createDirectories(settings.out().toAbsolutePath().getParent());
      Files.writeString(settings.out(), report);
      System.out.println(report);
    }
    System.exit(0);
  }

  private List<Result> runAll(List<Workload> workloads) throws Exception {
    List<Result> results = new ArrayList<>();
    for (Workload workload : workloads) {
      for (Setup setup : Setup.values()) {
        results.add(run(workload, setup));
      }
    }
    return results;
  }

  /** Ids 1..keys (search queries 0..keys-1) in a seeded random order: rank r of the Zipf is id {@code ids[r]}. */
  private static int[] shuffledIds(int keys, int first, long seed) {
    int[] ids = new int[keys];
    Arrays.setAll(ids, i -> i + first);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = keys - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = ids[i];
      ids[i] = ids[j];
      ids[j] = swap;
    }
    return ids;
  }

  /** A read or write of one id of one type, by whatever the setup is. */
  private interface Access {
    Optional<String> read(Kind kind, String id) throws Exception;

    /** A new value; for search results, which are never written, the application's manual invalidation. */
    void write(Kind kind, String id, String value) throws Exception;
  }

  private static final class Direct implements Access {
    @Override
    public Optional<String> read(Kind kind, String id) throws Exception {
      return kind.source.load(id);
    }

    @Override
    public void write(Kind kind, String id, String value) throws Exception {
      if (kind.versioned) {
        kind.source.write(Map.of(id, value));
      }
    }
  }

  private record Cached(Map<Kind, CachedType<String>> types) implements Access {
    @Override
    public Optional<String> read(Kind kind, String id) {
      return types.get(kind).get(id);
    }

    @Override
    public void write(Kind kind, String id, String value) {
      if (kind.versioned) {
        types.get(kind).put(id, value);
      } else {
        types.get(kind).invalidate(id);
      }
    }
  }

  private Result run(Workload workload, Setup setup) throws Exception {
    System.out.println("running " + workload.name() + ", " + setup.label);
    for (Kind kind : workload.kinds()) {
      if (kind.versioned) {
        kind.resetToDatabase();
      }
    }
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 6);
    CachePolicies policies = CachePolicies.seedDefaults(prefix);
    List<TwoLevelCache> caches = new ArrayList<>();
    List<Cached> pods = new ArrayList<>();
    List<Access> accesses = new ArrayList<>();
    if (setup == Setup.DIRECT) {
      accesses.add(new Direct());
    } else {
      for (int pod = 0; pod < 2; pod++) {
        TwoLevelCache cache = TwoLevelCache.builder(redisUri, policies)
            .l1MaximumSize(setup == Setup.L2_ONLY ? 0 : settings.l1Size()).build();
        caches.add(cache);
        Map<Kind, CachedType<String>> types = new LinkedHashMap<>();
        for (Kind kind : workload.kinds()) {
          types.put(kind, cache.type(kind.dataType, ValueCodec.STRING, kind.source));
        }
        pods.add(new Cached(types));
        accesses.add(pods.getLast());
      }
      if (setup != Setup.L1_L2_COLD) {
        prefill(workload, policies);
      }
    }
    Map<Kind, CacheStats> before = new HashMap<>();
    Result result;
    try {
      result = measure(workload, setup, accesses, pods, before, setup == Setup.L1_L2_COLD ? Duration.ZERO : settings.warmup());
    } finally {
      caches.forEach(TwoLevelCache::close);
    }
    try {
      return setup == Setup.DIRECT ? result : withHotKeyCheck(result, prefix);
    } finally {
      removeKeys(prefix);
    }
  }

  private Result measure(Workload workload, Setup setup, List<Access> accesses, List<Cached> pods,
      Map<Kind, CacheStats> statsBefore, Duration warmup) throws Exception {
    int threads = settings.threads();
    long[] measureStart = new long[1];
    CyclicBarrier warmedUp = new CyclicBarrier(threads, () -> {
      workload.kinds().forEach(kind -> statsBefore.put(kind, stats(pods, kind)));
      measureStart[0] = System.nanoTime();
    });
    List<Map<Kind, Tally>> tallies = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Access access = accesses.get(t % accesses.size());
      Map<Kind, Tally> tally = new HashMap<>();
      workload.kinds().forEach(kind -> tally.put(kind, new Tally()));
      tallies.add(tally);
      workers.add(Thread.ofPlatform().name("bench-" + t).start(() -> {
        try {
          SplittableRandom random = new SplittableRandom(1_000L * (setup.ordinal() + 1) + thread);
          long warmupEnd = System.nanoTime() + warmup.toNanos();
          while (System.nanoTime() < warmupEnd) {
            execute(access, workload, random, null);
          }
          warmedUp.await();
          long end = measureStart[0] + settings.measure().toNanos();
          while (System.nanoTime() < end) {
            execute(access, workload, random, tally);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
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
    Map<Kind, KindResult> kinds = new LinkedHashMap<>();
    for (Kind kind : workload.kinds()) {
      List<Tally> parts = tallies.stream().map(tally -> tally.get(kind)).toList();
      long[] reads = merge(parts.stream().map(p -> p.reads.toArray()).toArray(long[][]::new));
      long[] writes = merge(parts.stream().map(p -> p.writes.toArray()).toArray(long[][]::new));
      CacheStats stats = pods.isEmpty() ? null : minus(stats(pods, kind), statsBefore.get(kind));
      kinds.put(kind, new KindResult(reads.length + writes.length, reads, writes, stats,
          parts.stream().mapToLong(p -> p.stale).sum(), parts.stream().mapToLong(p -> p.checked).sum(),
          parts.stream().mapToLong(p -> p.maxStaleNanos).max().orElse(0), 0, 0));
    }
    return new Result(workload, setup, seconds, kinds);
  }

  /**
   * One operation: a type (equal shares when the workload has several), a Zipf-drawn id, then a read or (with the
   * write share) a write of a new version. Writes of one id are serialised (a lock per id stripe, across both
   * pods), so the order of versions is the order of commits; reads take no lock. A read is stale if it returns a
   * version older than the newest write that had completed before the read began. {@code tally} null: warm-up.
   */
  private void execute(Access access, Workload workload, SplittableRandom random, Map<Kind, Tally> tally)
      throws Exception {
    Kind kind = workload.kinds().get(random.nextInt(workload.kinds().size()));
    int id = kind.idOfRank[kind.zipf.next(random)];
    String key = String.valueOf(id);
    if (random.nextDouble() < (kind.versioned ? settings.writeShare() : settings.searchInvalidations())) {
      long start = System.nanoTime();
      if (kind.versioned) {
        synchronized (kind.writeLocks[id % kind.writeLocks.length]) {
          long version = versions.incrementAndGet();
          access.write(kind, key, SeedTables.withVersion(kind.current[id], version));
          kind.committed.set(id, version);
          kind.committedAt.set(id, System.nanoTime());
        }
      } else {
        access.write(kind, key, null);
      }
      if (tally != null) {
        tally.get(kind).writes.add(System.nanoTime() - start);
      }
      return;
    }
    long newestAt = kind.versioned ? kind.committedAt.get(id) : 0;
    long newest = kind.versioned ? kind.committed.get(id) : 0;
    long start = System.nanoTime();
    Optional<String> value = access.read(kind, key);
    long end = System.nanoTime();
    if (value.isEmpty()) {
      throw new IllegalStateException("no " + kind.dataType + " " + id);
    }
    if (tally != null) {
      Tally mine = tally.get(kind);
      mine.reads.add(end - start);
      if (kind.versioned) {
        mine.checked++;
        if (SeedTables.version(value.get()) < newest) {
          mine.stale++;
          mine.maxStaleNanos = Math.max(mine.maxStaleNanos, end - newestAt);
        }
      }
    }
  }

  private static CacheStats stats(List<Cached> pods, Kind kind) {
    return pods.stream().map(pod -> pod.types().get(kind).stats()).reduce(CacheBenchmark::plus)
        .orElse(new CacheStats(0, 0, 0, 0, 0));
  }

  /** Puts every id's value into Redis, as a cache that has run longer than its keys' revisit interval holds. */
  private void prefill(Workload workload, CachePolicies policies) throws Exception {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      connection.setAutoFlushCommands(false);
      var commands = connection.async();
      for (Kind kind : workload.kinds()) {
        CachePolicy policy = policies.forType(kind.dataType).orElseThrow();
        SetArgs ttl = SetArgs.Builder.px(policy.ttl());
        List<RedisFuture<String>> pending = new ArrayList<>();
        for (var entry : kind.source.all().entrySet()) {
          pending.add(commands.set(policies.keyNamespace() + kind.dataType + ":" + entry.getKey(), entry.getValue(), ttl));
          if (pending.size() == 1_000) {
            await(connection, pending);
          }
        }
        await(connection, pending);
      }
    } finally {
      client.shutdown();
    }
  }

  private static void await(StatefulRedisConnection<String, String> connection, List<RedisFuture<String>> pending)
      throws Exception {
    connection.flushCommands();
    for (RedisFuture<String> future : pending) {
      future.get(10, TimeUnit.SECONDS);
    }
    pending.clear();
  }

  /**
   * After the caches closed (write-behind drained): the 200 hottest ids of each versioned type found in Redis must
   * equal the database; a mismatch would be a stale value left behind by the strategies.
   */
  private Result withHotKeyCheck(Result result, String prefix) throws Exception {
    RedisClient client = RedisClient.create(redisUri);
    Map<Kind, KindResult> checked = new LinkedHashMap<>();
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      for (var entry : result.kinds().entrySet()) {
        Kind kind = entry.getKey();
        int mismatches = 0;
        int found = 0;
        for (int rank = 0; kind.versioned && rank < Math.min(200, kind.idOfRank.length); rank++) {
          String id = String.valueOf(kind.idOfRank[rank]);
          String cached = connection.sync().get(prefix + ":" + kind.dataType + ":" + id);
          if (cached != null) {
            found++;
            mismatches += cached.equals(kind.source.load(id).orElse(null)) ? 0 : 1;
          }
        }
        KindResult r = entry.getValue();
        checked.put(kind, new KindResult(r.ops(), r.reads(), r.writes(), r.stats(), r.staleReads(), r.checkedReads(),
            r.maxStaleNanos(), found, mismatches));
      }
    } finally {
      client.shutdown();
    }
    return new Result(result.workload(), result.setup(), result.seconds(), checked);
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

  /** A select-only pgbench on a database of its own, taking the database's CPU while the loaded phases run. */
  record Pgbench(Process process, String command, int clients) {
    static Pgbench start(LocalServices services, String database, int clients) throws Exception {
      List<String> connection = List.of("-h", services.postgresHost(), "-p", String.valueOf(services.postgresPort()),
          "-U", services.postgresUser());
      run(concat(List.of("pgbench", "-i", "-q", "-s", "10"), connection, List.of(database)), services);
      List<String> load = concat(List.of("pgbench", "-S", "-n", "-c", String.valueOf(clients), "-j", "2", "-T", "3600"),
          connection, List.of(database));
      Process process = builder(load, services).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      Thread.sleep(2_000);
      if (!process.isAlive()) {
        throw new IllegalStateException("pgbench ended at once: " + String.join(" ", load));
      }
      return new Pgbench(process, "pgbench -S -c " + clients + " -j 2 -s 10", clients);
    }

    void stop() throws InterruptedException {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    private static void run(List<String> command, LocalServices services) throws Exception {
      Process process = builder(command, services).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (process.waitFor() != 0) {
        throw new IllegalStateException("failed: " + String.join(" ", command));
      }
    }

    private static ProcessBuilder builder(List<String> command, LocalServices services) {
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
      builder.environment().put("PGPASSWORD", services.postgresPassword());
      return builder;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
      return Arrays.stream(parts).flatMap(List::stream).toList();
    }
  }

  private static CacheStats plus(CacheStats a, CacheStats b) {
    return new CacheStats(a.l1Hits() + b.l1Hits(), a.l1Misses() + b.l1Misses(), a.l2Hits() + b.l2Hits(),
        a.l2Misses() + b.l2Misses(), a.redisErrors() + b.redisErrors());
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

  private String report(Map<String, List<Result>> byLoad, Pgbench pgbench, Duration took, String loadBefore,
      String loadDuring) {
    StringBuilder md = new StringBuilder();
    md.append("# Cache benchmark: the seed's four cached types, client library (L1 Caffeine + L2 Redis) vs direct PostgreSQL\n\n");
    md.append(String.format(Locale.ROOT, "Generated by `bench/cache.sh` on %s in %d s on %d cores shared with other"
        + " work (1-minute load average %s at the start, %s during the pgbench phases). PostgreSQL, Redis, pgbench"
        + " and the benchmark share those cores: compare the rows of one run, not runs.%n%n",
        Instant.now().truncatedTo(ChronoUnit.SECONDS), took.toSeconds(), Runtime.getRuntime().availableProcessors(),
        loadBefore, loadDuring));
    md.append(String.format(Locale.ROOT, "Data (seed schema): %,d `users` (user_profiles, write-through, TTL 1 h),"
        + " %,d `recipes` (recipes, write-behind, 30 min), %,d `user_taste_profiles` with 1536-dim taste vectors"
        + " (taste_profiles, write-through, 4 h), %,d clustered 1536-dim `recipe_embeddings` under the seed's HNSW index"
        + " (m 16, ef_construction 64) searched by `RecipeSearch` (20 nearest AI-processed recipes, ef_search 40) for"
        + " %,d distinct query vectors (search_results, cache-aside, manual invalidation, 15 min). Workload: Zipf"
        + " s = %.1f over each type's ids, %.0f %% reads / %.0f %% writes (search_results are not written: %.1f %% of"
        + " their operations are the application's invalidation of one query, e.g. after recipes were processed), %d threads over two cache instances (two \"pods\": a write"
        + " invalidates the other's L1), L1 bounded to %,d entries per type; \"all four\" draws the type of each"
        + " operation with equal shares. Each phase: %d s warm-up (none when cold), then %d s measured.%n%n",
        settings.users(), settings.recipes(), settings.tasteProfiles(), settings.embeddings(), settings.queries(),
        settings.zipf(), 100 * (1 - settings.writeShare()), 100 * settings.writeShare(), 100 * settings.searchInvalidations(), settings.threads(),
        settings.l1Size(), settings.warmup().toSeconds(), settings.measure().toSeconds()));
    for (var load : byLoad.entrySet()) {
      md.append("## ").append(load.getKey().substring(0, 1).toUpperCase(Locale.ROOT)).append(load.getKey().substring(1));
      md.append(load.getKey().contains("pgbench") ? " (`" + pgbench.command() + "` running throughout)" : "").append("\n\n");
      md.append("| type | setup | ops/s | × direct | read p50 ms | read p99 ms | p99 × direct | write p99 ms | L1 hit |"
          + " L2 hit (of L1 misses) | overall hit | stale reads | hot keys equal to DB |\n");
      md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      Result direct = null;
      for (Result result : load.getValue()) {
        direct = result.setup() == Setup.DIRECT ? result : direct;
        CacheStats stats = result.stats();
        long[] reads = result.reads();
        long[] writes = merge(result.kinds().values().stream().map(KindResult::writes).toArray(long[][]::new));
        long stale = result.kinds().values().stream().mapToLong(KindResult::staleReads).sum();
        long checked = result.kinds().values().stream().mapToLong(KindResult::checkedReads).sum();
        long maxStale = result.kinds().values().stream().mapToLong(KindResult::maxStaleNanos).max().orElse(0);
        int hotFound = result.kinds().values().stream().mapToInt(KindResult::hotChecked).sum();
        int hotBad = result.kinds().values().stream().mapToInt(KindResult::hotMismatches).sum();
        md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %.3f | %.3f | %s | %.3f | %s | %s | %s | %s | %s |%n",
            result.workload().name(), result.setup().label, result.throughput(),
            ratio(result.throughput() / direct.throughput()), percentileMillis(reads, 0.50), percentileMillis(reads, 0.99),
            ratio(percentileMillis(reads, 0.99) / percentileMillis(direct.reads(), 0.99)), percentileMillis(writes, 0.99),
            stats == null ? "–" : percent(stats.l1HitRate()), stats == null ? "–" : percent(stats.l2HitRate()),
            stats == null ? "–" : percent(stats.overallHitRate()),
            checked == 0 ? "–" : String.format(Locale.ROOT, "%,d of %,d%s", stale, checked,
                stale == 0 ? "" : String.format(Locale.ROOT, " (≤ %.1f ms old)", maxStale / 1e6)),
            result.setup() == Setup.DIRECT || hotFound == 0 ? "–" : (hotFound - hotBad) + "/" + hotFound));
      }
      md.append('\n').append(targets(load.getValue())).append('\n');
    }
    md.append("""
        Notes:
        - "read" is `CachedType.get` (L1, else L2, else a database load that fills both); "write" is `put` with the
          type's strategy (write-through: database, cache set before COMMIT; write-behind: cache, then the queue;
          search_results: `invalidate`). Direct PostgreSQL: the same loads and writes without a cache.
        - "warm" setups start with every id in Redis and an empty L1 that fills during the warm-up; "cold" starts with
          both empty and no warm-up: the first seconds after a deployment.
        - "stale reads": reads that returned a version older than the newest write of that id that had completed
          (its `put` returned) before the read began, whichever pod wrote it; writes of one id are serialised by the
          benchmark so that version order is commit order. "≤ x ms old": the longest time from that write's
          completion to the end of the stale read. search_results carry no version (a write is an invalidation).
        - "hot keys equal to DB": after the phase (write-behind drained), the 200 hottest ids of each type found in
          Redis compared with their rows.
        """);
    return md.toString();
  }

  /** The targets, checked on one load's rows. */
  private static String targets(List<Result> results) {
    StringBuilder md = new StringBuilder("Targets:\n");
    for (String type : List.of("user_profiles", "recipes", "taste_profiles")) {
      Result direct = find(results, type, Setup.DIRECT);
      Result l2 = find(results, type, Setup.L2_ONLY);
      Result warm = find(results, type, Setup.L1_L2);
      double p99Ratio = percentileMillis(warm.reads(), 0.99) / percentileMillis(direct.reads(), 0.99);
      double l2Ratio = l2.throughput() / direct.throughput();
      md.append(String.format(Locale.ROOT, "- %s: L1+L2 read p99 %s direct (≤ 1.0×) %s; L2-only throughput %s direct"
          + " (≥ 1.0×) %s.%n", type, ratio(p99Ratio), mark(p99Ratio <= 1.0), ratio(l2Ratio), mark(l2Ratio >= 1.0)));
    }
    Result direct = find(results, "search_results", Setup.DIRECT);
    Result warm = find(results, "search_results", Setup.L1_L2);
    double throughput = warm.throughput() / direct.throughput();
    double p99 = percentileMillis(warm.reads(), 0.99) / percentileMillis(direct.reads(), 0.99);
    md.append(String.format(Locale.ROOT, "- search_results, L1+L2 warm: throughput %s direct (≥ 20×) %s, read p99 %s"
        + " direct (≤ 0.1×) %s.%n", ratio(throughput), mark(throughput >= 20), ratio(p99), mark(p99 <= 0.1)));
    Result all = find(results, "all four", Setup.L1_L2);
    CacheStats stats = all.stats();
    md.append(String.format(Locale.ROOT, "- Seed hit targets, all four, L1+L2 warm: overall hit %s (> 70 %%) %s, L1"
        + " hit %s (> 40 %%) %s, L2 hit of L1 misses %s (> 85 %%) %s, p99 cache get %.3f ms (< 10 ms) %s.%n",
        percent(stats.overallHitRate()), mark(stats.overallHitRate() > 0.70), percent(stats.l1HitRate()),
        mark(stats.l1HitRate() > 0.40), percent(stats.l2HitRate()), mark(stats.l2HitRate() > 0.85),
        percentileMillis(all.reads(), 0.99), mark(percentileMillis(all.reads(), 0.99) < 10)));
    for (Setup setup : List.of(Setup.L2_ONLY, Setup.L1_L2, Setup.L1_L2_COLD)) {
      StringBuilder line = new StringBuilder("- Stale reads, " + setup.label + ", each type alone:");
      for (String type : List.of("user_profiles", "recipes", "taste_profiles")) {
        KindResult r = find(results, type, setup).kinds().values().iterator().next();
        line.append(String.format(Locale.ROOT, " %s %,d of %,d%s;", type, r.staleReads(), r.checkedReads(),
            r.staleReads() == 0 ? "" : String.format(Locale.ROOT, " (≤ %.1f ms old)", r.maxStaleNanos() / 1e6)));
      }
      md.append(line.deleteCharAt(line.length() - 1)).append(" (target: 0 for the write-through types, bounded by"
          + " the write-behind lag for recipes).\n");
    }
    return md.toString();
  }

  private static Result find(List<Result> results, String workload, Setup setup) {
    return results.stream().filter(r -> r.workload().name().equals(workload) && r.setup() == setup).findFirst()
        .orElseThrow();
  }

  private static String ratio(double ratio) {
    return String.format(Locale.ROOT, ratio >= 10 ? "%.0f×" : "%.2f×", ratio);
  }

  private static String percent(double ratio) {
    return Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.1f %%", 100 * ratio);
  }

  private static String mark(boolean met) {
    return met ? "met" : "NOT met";
  }
}
