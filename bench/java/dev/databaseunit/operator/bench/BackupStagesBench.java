package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.backup.BackupCatalog;
import dev.databaseunit.operator.backup.BackupManifest;
import dev.databaseunit.operator.backup.BackupService;
import dev.databaseunit.operator.backup.RecipeData;
import dev.databaseunit.operator.storage.KeyEncryptionKey;
import dev.databaseunit.operator.storage.S3ObjectStore;
import dev.databaseunit.operator.testing.LocalServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.DoubleSummaryStatistics;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * The backup pipeline alone, in one run on one generated database: the old pipeline (pg_dump's own zlib,
 * {@code compression: gzip}), ours (pg_dump -Z0 → zstd → AES-GCM → multipart upload, each on its own thread) and the
 * command line {@code pg_dump -Fc -Z0 | zstd -1} that ours is measured against, plus {@code pg_dump -Z0} alone, the
 * floor. Each method runs {@link #ROUNDS} times in rotating order; the 1-minute load average is read around every run.
 * Usage: BackupStagesBench [users] [recipesPerUser] [embeddingEvery]; writes its section of bench/results/backup.md.
 */
public final class BackupStagesBench {
  private static final int ROUNDS = 3;
  private static final String OLD = "old pipeline: pg_dump's zlib (`compression: gzip`)";
  private static final String OURS = "ours: pg_dump -Z0 → zstd -1 → AES-GCM → upload, staged";
  private static final String PIPE = "pg_dump -Fc -Z0 | zstd -1 -q > /dev/null";
  private static final String FLOOR = "pg_dump -Fc -Z0 > /dev/null (the floor)";

  public static void main(String[] args) throws Exception {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    int recipesPerUser = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int embeddingEvery = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    var services = LocalServices.get();
    String db = "du_bench_backup_stages";
    var fresh = BackupBench.FreshDatabase.create(db);
    var admin = fresh.admin();
    var target = fresh.target();
    var tools = fresh.tools();
    String bucket = "du-bench-" + Long.toHexString(System.nanoTime());
    BackupBench.createBucket(bucket);
    var store = S3ObjectStore.connect(services.s3Endpoint(), "us-east-1", true, bucket,
        AwsBasicCredentials.create(services.s3AccessKey(), services.s3SecretKey()));
    try {
      long t0 = System.nanoTime();
      try (var c = tools.connect(target)) {
        RecipeData.load(c, users, recipesPerUser, embeddingEvery);
      }
      double generate = BackupBench.seconds(t0);
      long dbBytes = Long.parseLong(BackupBench.single(tools, target, "SELECT pg_database_size(current_database())"));
      System.out.printf("generated %d MB in %.0f s%n", dbBytes >> 20, generate);

      var backups = new BackupService(tools, Clock.systemUTC());
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      var kek = KeyEncryptionKey.fromBase64(Base64.getEncoder().encodeToString(raw));
      var catalog = new BackupCatalog(store, "bench/");
      List<String> methods = List.of(OLD, OURS, PIPE, FLOOR);
      Map<String, DoubleSummaryStatistics> seconds = new LinkedHashMap<>();
      methods.forEach(m -> seconds.put(m, new DoubleSummaryStatistics()));
      Map<Compression, BackupManifest> manifests = new EnumMap<>(Compression.class);
      var load = new DoubleSummaryStatistics();
      for (int round = 0; round < ROUNDS; round++) {
        List<String> order = new ArrayList<>(methods);
        Collections.rotate(order, -round);
        if (round % 2 == 1) {
          Collections.reverse(order);
        }
        for (String method : order) {
          load.accept(loadAverage());
          long t = System.nanoTime();
          switch (method) {
            case OLD, OURS -> {
              Compression compression = method.equals(OURS) ? Compression.ZSTD : Compression.GZIP;
              manifests.put(compression, backups.backup(new BackupService.Request(BackupCatalog.newBackupId(Tier.DAILY, Instant.now()),
                  Tier.DAILY, "bench/" + db, target, null, compression, Duration.ofHours(1)), catalog, kek, p -> {}));
            }
            case PIPE -> BackupBench.run(target, List.of("bash", "-o", "pipefail", "-c",
                "pg_dump --format=custom --compress=0 --no-password | zstd -1 -q -c"));
            default -> BackupBench.run(target, List.of("pg_dump", "--format=custom", "--compress=0", "--no-password"));
          }
          double s = BackupBench.seconds(t);
          seconds.get(method).accept(s);
          load.accept(loadAverage());
          System.out.printf("round %d: %s %.1f s%n", round, method, s);
        }
        // The stored backups are not needed: keep s3proxy's disk as it was for the next round.
        for (var o : store.list("bench/")) {
          store.delete(o.key());
        }
      }

      double mb = dbBytes / 1048576.0;
      double old = seconds.get(OLD).getAverage();
      double ours = seconds.get(OURS).getAverage();
      double pipe = seconds.get(PIPE).getAverage();
      StringBuilder rows = new StringBuilder();
      for (String method : methods) {
        var s = seconds.get(method);
        rows.append("| %s | %.1f s (%.1f–%.1f) | %.1f MB/s | %.2f× |%n".formatted(method.replace("|", "\\|"), s.getAverage(), s.getMin(),
            s.getMax(), mb / s.getAverage(), old / s.getAverage()));
      }
      String section = """
          ## Backup pipeline throughput (BackupStagesBench)

          One run of `bench/backup-stages.sh %d %d %d` on %s: a generated recipe database of **%.0f MB** (`pg_database_size`)
          on the local PostgreSQL (pg_dump custom format), backups uploaded to the local s3proxy. Data generation took %.0f s.
          Each method ran %d times in rotating order; times are means (min–max). Machine: %d cores; 1-minute load average
          %.1f–%.1f around the runs (the bench ran under the services lock, so no test or other bench ran beside it).

          | method | time | MB/s (database size ÷ time) | × old pipeline |
          |---|---|---|---|
          %s

          - **old pipeline ÷ ours: %.2f×** (issue 18's goal: ≥ 5×)
          - **ours ÷ `pg_dump -Z0 | zstd -1`: %.2f×** (what the pipeline costs beyond the same compression on the command line:
            row counts in the dump's snapshot, AES-256-GCM and sha256, the multipart upload, the manifest)

          "ours" and "old" are the whole backup (`BackupService.backup`: exported snapshot, row counts, pg_dump, compression,
          encryption, upload, manifest). The command line runs neither encrypt nor upload. pg_dump output: %d MB under zlib,
          %d MB uncompressed (into zstd); stored: %d MB and %d MB.
          """.formatted(users, recipesPerUser, embeddingEvery, Instant.now().toString().substring(0, 10), mb, generate, ROUNDS,
          Runtime.getRuntime().availableProcessors(), load.getMin(), load.getMax(), rows.toString().strip(), old / ours, ours / pipe,
          manifests.get(Compression.GZIP).dumpBytes() >> 20, manifests.get(Compression.ZSTD).dumpBytes() >> 20,
          manifests.get(Compression.GZIP).storedBytes() >> 20, manifests.get(Compression.ZSTD).storedBytes() >> 20);
      ResultSection.write(BackupBench.RESULTS, "stages", section);
      System.out.println(section);
    } finally {
      for (var o : store.list("")) {
        store.delete(o.key());
      }
      store.abortUnfinishedUploads("");
      BackupBench.sql(tools, admin, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      store.close();
    }
  }

  private static double loadAverage() throws java.io.IOException {
    return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
  }

  static {
    Locale.setDefault(Locale.ROOT);
  }
}
