package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.backup.BackupCatalog;
import dev.databaseunit.operator.backup.BackupManifest;
import dev.databaseunit.operator.backup.BackupService;
import dev.databaseunit.operator.storage.KeyEncryptionKey;
import dev.databaseunit.operator.backup.RecipeData;
import dev.databaseunit.operator.backup.RestoreTester;
import dev.databaseunit.operator.backup.PostgresTools;
import dev.databaseunit.operator.storage.S3ObjectStore;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.testing.LocalServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Side by side on one generated recipe database, in one run: our logical backup pipeline (pg_dump → compression →
 * AES-GCM → multipart upload to the local S3-compatible server, plus row counts) as it was (pg_dump's zlib) and as it
 * is (uncompressed pg_dump, zstd level 1 in the stream), against raw {@code pg_dump -Fc > /dev/null} and
 * {@code pg_dump -Fd -j2} into a local directory; then our restore test (download → verify → decrypt → pg_restore,
 * then checks) before (zlib archive, the server's default session) and after (zstd archive, the policy's default
 * maintenance_work_mem and jobs). Usage: BackupBench [users] [recipesPerUser] [embeddingEvery]; writes its section of
 * bench/results/backup.md.
 */
public final class BackupBench {
  /** Each backup bench rewrites its own section of it. */
  static final Path RESULTS = Path.of("bench", "results", "backup.md");
  /** The restore session of a restore test before logicalDump existed: the local server's defaults. */
  private static final PostgresTools.RestoreSession SERVER_DEFAULTS = new PostgresTools.RestoreSession(64, 3);

  public static void main(String[] args) throws Exception {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int recipesPerUser = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int embeddingEvery = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    var services = LocalServices.get();
    String db = "du_bench_backup";
    var fresh = FreshDatabase.create(db);
    var admin = fresh.admin();
    var target = fresh.target();
    var tools = fresh.tools();
    String bucket = "du-bench-" + Long.toHexString(System.nanoTime());
    var store = S3ObjectStore.connect(services.s3Endpoint(), "us-east-1", true, bucket,
        AwsBasicCredentials.create(services.s3AccessKey(), services.s3SecretKey()));
    Path directory = Files.createTempDirectory("bench-dump-");
    try {
      long t0 = System.nanoTime();
      try (var c = tools.connect(target)) {
        RecipeData.load(c, users, recipesPerUser, embeddingEvery);
      }
      double generate = seconds(t0);
      long dbBytes = Long.parseLong(single(tools, target, "SELECT pg_database_size(current_database())"));
      long embeddings = Long.parseLong(single(tools, target, "SELECT count(*) FROM recipe_embeddings"));
      System.out.printf("generated %d MB in %.0f s%n", dbBytes >> 20, generate);

      var backups = new BackupService(tools, Clock.systemUTC());
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      var kek = KeyEncryptionKey.fromBase64(Base64.getEncoder().encodeToString(raw));
      createBucket(bucket);
      var catalog = new BackupCatalog(store, "bench/");
      Map<Compression, BackupManifest> manifests = new EnumMap<>(Compression.class);
      // Each method twice, the second round in reverse order, to even out the page cache and the machine's other load.
      List<String> methods = List.of("ours, zstd", "ours, zlib (before)", "pg_dump -Fc", "pg_dump -Fd -j2", "pg_dump -Fc -Z0 | zstd -1",
          "pg_dump -Fc -Z0 (no compression: the floor)");
      Map<String, Double> seconds = new LinkedHashMap<>();
      methods.forEach(m -> seconds.put(m, 0.0));
      for (int round = 0; round < 2; round++) {
        List<String> order = new ArrayList<>(methods);
        if (round == 1) {
          Collections.reverse(order);
        }
        for (String method : order) {
          long t = System.nanoTime();
          switch (method) {
            case "ours, zstd", "ours, zlib (before)" -> {
              Compression compression = method.equals("ours, zstd") ? Compression.ZSTD : Compression.GZIP;
              manifests.put(compression, backups.backup(new BackupService.Request(BackupCatalog.newBackupId(Tier.DAILY, Instant.now()),
                  Tier.DAILY, "bench/" + db, target, null, compression, Duration.ofHours(1)), catalog, kek, p -> {}));
            }
            case "pg_dump -Fc" -> run(target, List.of("pg_dump", "--format=custom", "--no-password"));
            case "pg_dump -Fc -Z0 | zstd -1" -> run(target, List.of("bash", "-o", "pipefail", "-c", "pg_dump --format=custom --compress=0 --no-password | zstd -1 -q -c"));
            case "pg_dump -Fc -Z0 (no compression: the floor)" -> run(target, List.of("pg_dump", "--format=custom", "--compress=0", "--no-password"));
            default -> {
              run(target, List.of("pg_dump", "--format=directory", "--jobs=2", "--no-password", "--file=" + directory.resolve("d" + round)));
              deleteTree(directory.resolve("d" + round));
            }
          }
          seconds.merge(method, seconds(t) / 2, Double::sum);
          System.out.printf("round %d: %s %.1f s%n", round, method, seconds(t));
        }
      }

      var tester = new RestoreTester(tools, Clock.systemUTC());
      var before = restoreTest(tester, manifests.get(Compression.GZIP), catalog, kek, target, SERVER_DEFAULTS);
      var after = restoreTest(tester, manifests.get(Compression.ZSTD), catalog, kek, target, PostgresTools.RestoreSession.of(null));

      double mb = dbBytes / 1048576.0;
      double today = seconds.get("ours, zlib (before)");
      StringBuilder rows = new StringBuilder();
      for (String method : methods) {
        double s = seconds.get(method);
        rows.append("| %s | %.1f s | %.1f MB/s | %.2f× |%n".formatted(method.replace("|", "\\|"), s, mb / s, today / s));
      }
      String table = """
          ## Whole comparison and restore tests (BackupBench)

          One run of `bench/backup.sh %d %d %d`: a generated recipe database of **%.0f MB** (`pg_database_size`, %d
          vector(1536) embeddings under HNSW) on the local PostgreSQL 15 (pg_dump 15: no zstd or lz4 of its own), objects
          on the local s3proxy. Data generation took %.0f s. Each backup method ran twice, the second round in reverse
          order; times are the means. Machine: %d cores, shared with other engineers' builds while this ran.

          ### Backup throughput

          | method | time | MB/s (database size ÷ time) | × today's pipeline |
          |---|---|---|---|
          %s

          "ours" is the whole pipeline: pg_dump of one exported snapshot, row counts in that snapshot, compression, AES-256-GCM,
          multipart upload, manifest. "zlib (before)" is the pipeline as it was (pg_dump's own compression at its default
          level, `compression: gzip` now); "zstd" is the new default (`pg_dump --compress=0`, zstd level 1 in the stream).
          Raw pg_dump runs write to /dev/null (-Fc) or a local directory (-Fd) and neither encrypt nor upload; `-Z0 | zstd -1`
          is the same compression as ours with the zstd command line tool, and `-Z0` alone is what one pg_dump of this
          database costs before any compression (one table holds most of the data, so `-j2` cannot split the work).
          pg_dump output: %d MB under zlib, %d MB uncompressed (for zstd); stored: %d MB and %d MB.

          ### Restore test (RTO)

          | restore test | recovery (download → verify → decrypt → pg_restore) | whole test incl. checks and drop |
          |---|---|---|
          | before: zlib archive, server defaults (maintenance_work_mem 64 MB, 2 parallel workers) | %.1f s | %.1f s |
          | after: zstd archive, `logicalDump` defaults (restoreMemoryMiB 1024, jobs 2) | %.1f s | %.1f s |
          | ratio after ÷ before | %.2f× | %.2f× |

          Both restore tests run once each, one after the other, and rebuild every index; the HNSW build dominates them.
          """.formatted(users, recipesPerUser, embeddingEvery, mb, embeddings, generate, Runtime.getRuntime().availableProcessors(),
          rows.toString().strip(),
          manifests.get(Compression.GZIP).dumpBytes() >> 20, manifests.get(Compression.ZSTD).dumpBytes() >> 20,
          manifests.get(Compression.GZIP).storedBytes() >> 20, manifests.get(Compression.ZSTD).storedBytes() >> 20,
          before.recovery, before.total, after.recovery, after.total, after.recovery / before.recovery, after.total / before.total);
      ResultSection.write(RESULTS, "whole", table);
      System.out.println(table);
    } finally {
      deleteTree(directory);
      for (var o : store.list("")) {
        store.delete(o.key());
      }
      store.abortUnfinishedUploads("");
      sql(tools, admin, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      store.close();
    }
  }

  /** A bench's database, dropped and created afresh, the server's admin database and the tools that reach both. */
  record FreshDatabase(PostgresTools tools, PostgresTarget admin, PostgresTarget target) {
    static FreshDatabase create(String name) throws Exception {
      var services = LocalServices.get();
      var admin = new PostgresTarget(services.postgresHost(), services.postgresPort(), "postgres", services.postgresUser(),
          services.postgresPassword(), PostgresTls.Mode.DISABLE, null);
      var tools = new PostgresTools(CaCertificates.inTempDirectory(), null, dev.databaseunit.operator.common.EgressPolicy.DEFAULT,
          dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT);
      sql(tools, admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      sql(tools, admin, "CREATE DATABASE " + name);
      return new FreshDatabase(tools, admin, admin.withDatabase(name));
    }
  }

  private record Timed(double recovery, double total) {}

  private static Timed restoreTest(RestoreTester tester, BackupManifest manifest, BackupCatalog catalog, KeyEncryptionKey kek,
      PostgresTarget target, PostgresTools.RestoreSession session) throws Exception {
    long t = System.nanoTime();
    var result = tester.test(manifest, catalog, kek, target, session, Duration.ofHours(4), Duration.ofHours(24));
    double total = seconds(t);
    if (!result.passed()) {
      throw new IllegalStateException("restore test failed: " + result.checks());
    }
    System.out.printf("restore test %s with %s: %.1f s%n", manifest.compression(), session, total);
    return new Timed(result.recoveryTime().toMillis() / 1000.0, total);
  }

  static void deleteTree(Path root) throws java.io.IOException {
    if (Files.exists(root)) {
      try (var paths = Files.walk(root)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  static void createBucket(String bucket) {
    try (var client = software.amazon.awssdk.services.s3.S3Client.builder()
        .endpointOverride(java.net.URI.create(LocalServices.get().s3Endpoint())).region(software.amazon.awssdk.regions.Region.US_EAST_1)
        .forcePathStyle(true)
        .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            AwsBasicCredentials.create(LocalServices.get().s3AccessKey(), LocalServices.get().s3SecretKey())))
        .build()) {
      client.createBucket(b -> b.bucket(bucket));
    }
  }

  static void run(PostgresTarget target, List<String> command) throws Exception {
    var pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putAll(target.libpqEnvironment(CaCertificates.inTempDirectory()));
    int code = pb.start().waitFor();
    if (code != 0) {
      throw new IllegalStateException(command.getFirst() + " exited " + code);
    }
  }

  static void sql(PostgresTools tools, PostgresTarget target, String sql) throws Exception {
    try (var c = tools.connect(target); var st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static String single(PostgresTools tools, PostgresTarget target, String sql) throws Exception {
    try (var c = tools.connect(target); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  static {
    Locale.setDefault(Locale.ROOT);
  }
}
