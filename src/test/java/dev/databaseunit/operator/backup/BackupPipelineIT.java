package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.S3ObjectStore;
import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Check;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.TcpRelay;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/** The backup pipeline and restore test against the real PostgreSQL and the real S3-compatible server. */
@WithLocalServices
class BackupPipelineIT {
  private final TestClock clock = TestClock.startingNow();
  private static final Duration RTO = Duration.ofHours(4);
  private static final Duration RPO = Duration.ofHours(24);
  private static final PostgresTools.RestoreSession SESSION = PostgresTools.RestoreSession.of(null);

  private final PostgresTools tools = new PostgresTools(CaCertificates.inTempDirectory(), null, dev.databaseunit.operator.common.EgressPolicy.DEFAULT,
      dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT);
  private final BackupService backups = new BackupService(tools, clock);
  private final RestoreTester restoreTester = new RestoreTester(tools, clock);
  private final String kekBase64 = randomKey();
  private final KeyEncryptionKey kek = KeyEncryptionKey.fromBase64(kekBase64);

  private TestDatabase db;
  private PostgresTarget target;

  @BeforeEach
  void seed(TestDatabase db) throws Exception {
    this.db = db;
    this.target = new PostgresTarget(db.host(), db.port(), db.name(), db.user(), db.password(), PostgresTls.Mode.DISABLE, null);
    try (var c = db.connect()) {
      RecipeData.load(c, 20, 5);
    }
  }

  @Test
  void backupWritesAManifestAndTheRestoreTestPassesWithMatchingRowCounts(TestBucket bucket) throws Exception {
    try (var logs = new CapturedLogs(); var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "recipes/");
      var manifest = backups.backup(request(), catalog, kek, phase -> {});

      assertThat(catalog.list()).extracting(BackupManifest::backupId).containsExactly(manifest.backupId());
      assertThat(manifest.serverVersion()).startsWith("15");
      assertThat(manifest.tables()).extracting(TableSnapshot.Table::name, TableSnapshot.Table::rows)
          .contains(org.assertj.core.groups.Tuple.tuple("users", 20L), org.assertj.core.groups.Tuple.tuple("recipes", 100L),
              org.assertj.core.groups.Tuple.tuple("recipe_embeddings", 100L),
              org.assertj.core.groups.Tuple.tuple("parsed_ingredients", 400L));
      assertThat(manifest.storedBytes()).isEqualTo(store.list("recipes/" + manifest.backupId() + "/backup").getFirst().size());
      assertThat(manifest.encryption().keyFingerprint()).isEqualTo(kek.fingerprint());

      var result = restoreTester.test(manifest, catalog, kek, target, SESSION, RTO, RPO);
      assertThat(result.checks()).allSatisfy(check -> assertThat(check.passed()).as(check.detail()).isTrue());
      assertThat(result.checks()).extracting(RestoreTester.CheckResult::check)
          .containsExactly(Check.RESTORE_VALIDATION, Check.DATA_INTEGRITY_CHECK, Check.RECOVERY_TIME_MEASUREMENT);
      assertThat(result.checks().get(1).detail()).contains("8 tables", "amcheck verified", "1 vector indexes answered");
      assertThat(result.rtoMet()).isTrue();
      assertThat(result.rpoMet()).isTrue();
      assertNoScratchDatabaseLeft();

      String manifestJson = new String(manifest.toJson(), StandardCharsets.UTF_8);
      assertThat(manifestJson).doesNotContain(db.password(), kekBase64, bucket.secretKey());
      assertThat(logs.lines()).noneMatch(l -> l.contains(db.password()) || l.contains(kekBase64));
    }
  }

  /** The default: pg_dump uncompressed, zstd in the stream; restored with parallel index builds and a large maintenance_work_mem. */
  @Test
  void aZstdCompressedDumpIsSmallerAndPassesARestoreTestWithParallelIndexBuilds(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var manifest = backups.backup(request(Compression.ZSTD), catalog, kek, phase -> {});
      var uncompressed = backups.backup(request(Compression.NONE), catalog, kek, phase -> {});

      assertThat(manifest.archiveCompression()).isEqualTo(Compression.ZSTD);
      assertThat(manifest.compression()).contains("zstd");
      assertThat(manifest.dumpBytes()).as("pg_dump's own output is uncompressed, like -Z0's").isEqualTo(uncompressed.dumpBytes());
      assertThat(manifest.storedBytes()).isLessThan(uncompressed.storedBytes() / 2);
      var result = restoreTester.test(manifest, catalog, kek, target, new PostgresTools.RestoreSession(256, 2), RTO, RPO);
      assertThat(result.checks()).allSatisfy(check -> assertThat(check.passed()).as(check.detail()).isTrue());
      assertThat(result.checks().getFirst().detail()).contains("maintenance_work_mem 256 MB, 2 jobs per index build");
      assertThat(restoreTester.test(uncompressed, catalog, kek, target, SESSION, RTO, RPO).passed()).isTrue();
      assertNoScratchDatabaseLeft();
    }
  }

  /** An archive pg_dump compressed itself, under a manifest as written before archiveCompression existed, still restores. */
  @Test
  void anArchiveWrittenTheOldWayStillRestores(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var m = backups.backup(request(Compression.GZIP), catalog, kek, phase -> {});
      var old = ManifestMac.sign(new BackupManifest(m.formatVersion(), m.backupId(), m.tier(), m.databaseUnit(), m.startTime(),
          m.endTime(), m.database(), m.serverVersion(), m.walLsn(), m.objectKey(), "pg_dump custom format (zlib, pg_dump default level)",
          m.dumpBytes(), m.storedBytes(), m.sha256(), m.encryption(), m.tables(), null), kek);
      assertThat(new String(old.toJson(), StandardCharsets.UTF_8)).doesNotContain("archiveCompression");
      catalog.writeManifest(old);

      var result = restoreTester.test(catalog.list().getFirst(), catalog, kek, target, SESSION, RTO, RPO);
      assertThat(result.checks()).allSatisfy(check -> assertThat(check.passed()).as(check.detail()).isTrue());
      assertNoScratchDatabaseLeft();
    }
  }

  /** The session settings reach the server: one it refuses fails the restore with the server's own words. */
  @Test
  void theRestoreSessionSettingsReachTheServer(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var manifest = backups.backup(request(), catalog, kek, phase -> {});
      var result = restoreTester.test(manifest, catalog, kek, target, new PostgresTools.RestoreSession(0, 2), RTO, RPO);
      assertThat(result.checks().getFirst().passed()).isFalse();
      assertThat(result.checks().getFirst().detail()).contains("maintenance_work_mem");
      assertNoScratchDatabaseLeft();
    }
  }

  @Test
  void theRunbookDecryptionToolYieldsAnArchivePgRestoreReads(TestBucket bucket, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var manifest = backups.backup(request(), new BackupCatalog(store, ""), kek, phase -> {});
      java.nio.file.Files.write(dir.resolve("manifest.json"), store.get(manifest.backupId() + "/manifest.json"));
      java.nio.file.Files.write(dir.resolve("backup.dump.enc"), store.get(manifest.objectKey()));
      java.nio.file.Files.writeString(dir.resolve("kek.b64"), kekBase64);

      DecryptBackup.run(new String[] {"--manifest", dir.resolve("manifest.json").toString(), "--kek-file",
          dir.resolve("kek.b64").toString(), "--in", dir.resolve("backup.dump.enc").toString(), "--out", dir.resolve("backup.dump").toString()});

      assertThat(java.nio.file.Files.size(dir.resolve("backup.dump"))).isEqualTo(manifest.dumpBytes());
      var list = new ProcessBuilder("pg_restore", "--list", dir.resolve("backup.dump").toString()).redirectErrorStream(true).start();
      String toc = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(list.waitFor()).as(toc).isZero();
      assertThat(toc).contains("TABLE DATA public recipe_embeddings", "INDEX public recipe_embeddings_hnsw");

      byte[] stored = java.nio.file.Files.readAllBytes(dir.resolve("backup.dump.enc"));
      stored[100] ^= 1;
      java.nio.file.Files.write(dir.resolve("backup.dump.enc"), stored);
      assertThatThrownBy(() -> DecryptBackup.run(new String[] {"--manifest", dir.resolve("manifest.json").toString(), "--kek-file",
          dir.resolve("kek.b64").toString(), "--in", dir.resolve("backup.dump.enc").toString(), "--out", dir.resolve("bad.dump").toString()}))
          .isInstanceOf(ChunkedGcm.TamperedException.class);
      assertThat(dir.resolve("bad.dump")).doesNotExist();
    }
  }

  @Test
  void aFlippedByteInTheStoredObjectFailsTheRestoreTest(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var manifest = backups.backup(request(), catalog, kek, phase -> {});
      byte[] stored = store.get(manifest.objectKey());
      stored[stored.length / 2] ^= 0x01;
      store.put(manifest.objectKey(), stored);

      var result = restoreTester.test(manifest, catalog, kek, target, SESSION, RTO, RPO);

      assertThat(result.passed()).isFalse();
      assertThat(result.checks().getFirst()).extracting(RestoreTester.CheckResult::check, RestoreTester.CheckResult::passed)
          .containsExactly(Check.RESTORE_VALIDATION, false);
      assertThat(result.checks().getFirst().detail()).contains("failed AES-GCM authentication: the object was modified");
      assertNoScratchDatabaseLeft();
    }
  }

  @Test
  void aTruncatedObjectFailsAndTheShaIsChecked(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var manifest = backups.backup(request(), catalog, kek, phase -> {});
      byte[] stored = store.get(manifest.objectKey());
      store.put(manifest.objectKey(), java.util.Arrays.copyOf(stored, stored.length - 100));
      var truncated = restoreTester.test(manifest, catalog, kek, target, SESSION, RTO, RPO);
      assertThat(truncated.checks().getFirst().detail()).contains("truncated");

      // The object intact but the manifest's sha256 wrong: without the KEK the change breaks the manifest's MAC; even with
      // a valid MAC (written by a holder of the KEK) it is caught by the sha256 comparison itself.
      store.put(manifest.objectKey(), stored);
      var wrongSha = new BackupManifest(manifest.formatVersion(), manifest.backupId(), manifest.tier(), manifest.databaseUnit(),
          manifest.startTime(), manifest.endTime(), manifest.database(), manifest.serverVersion(), manifest.walLsn(),
          manifest.objectKey(), manifest.compression(), manifest.archiveCompression(), manifest.dumpBytes(), manifest.storedBytes(),
          "0".repeat(64),
          manifest.encryption(), manifest.tables(), manifest.mac());
      assertThat(restoreTester.test(wrongSha, catalog, kek, target, SESSION, RTO, RPO).checks().getFirst().detail())
          .contains("fails authentication");
      var result = restoreTester.test(ManifestMac.sign(wrongSha, kek), catalog, kek, target, SESSION, RTO, RPO);
      assertThat(result.checks().getFirst().passed()).isFalse();
      assertThat(result.checks().getFirst().detail()).contains("sha256 of the stored object is " + manifest.sha256());
      assertNoScratchDatabaseLeft();
    }
  }

  @Test
  void aCopyToTheSecondaryBucketIsVerifiedAndRestorable(TestBucket bucket, TestBucket secondaryBucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket); var secondaryStore = store(secondaryBucket.endpoint(), secondaryBucket)) {
      var manifest = backups.backup(request(), new BackupCatalog(store, "eu-west-1/"), kek, phase -> {});
      var secondary = new BackupCatalog(secondaryStore, "dr/");

      new BackupCatalog(store, "eu-west-1/").copyTo(secondary, manifest, kek);

      var copied = secondary.list();
      assertThat(copied).extracting(BackupManifest::backupId, BackupManifest::sha256, BackupManifest::objectKey)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(manifest.backupId(), manifest.sha256(),
              "dr/" + manifest.backupId() + "/" + BackupManifest.OBJECT_NAME));
      var result = restoreTester.test(copied.getFirst(), secondary, kek, target, SESSION, RTO, RPO);
      assertThat(result.passed()).as(result.toString()).isTrue();
    }
  }

  @Test
  void keyRotationRewrapsManifestsWithoutReuploadingAndReportsBackupsStillNeedingAnOldKey(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var first = backups.backup(request(), catalog, kek, phase -> {});
      var newKek = KeyEncryptionKey.fromBase64(randomKey());
      var lastModified = store.list(first.objectKey()).getFirst().lastModified();

      var stranded = KeyRotation.rewrap(catalog, newKek, "kek-2026-12", List.of());
      assertThat(stranded.rewrapped()).isEmpty();
      assertThat(stranded.strandedByFingerprint()).containsExactly(java.util.Map.entry(kek.fingerprint(), List.of(first.backupId())));

      var rotated = KeyRotation.rewrap(catalog, newKek, "kek-2026-12", List.of(kek));
      assertThat(rotated.rewrapped()).containsExactly(first.backupId());
      var manifest = catalog.list().getFirst();
      assertThat(manifest.encryption().keyId()).isEqualTo("kek-2026-12");
      assertThat(manifest.encryption().keyFingerprint()).isEqualTo(newKek.fingerprint());
      assertThat(manifest.sha256()).isEqualTo(first.sha256());
      assertThat(store.list(first.objectKey()).getFirst().lastModified()).as("the dump object is not rewritten").isEqualTo(lastModified);

      assertThat(restoreTester.test(manifest, catalog, newKek, target, SESSION, RTO, RPO).passed()).isTrue();
      assertThat(restoreTester.test(manifest, catalog, kek, target, SESSION, RTO, RPO).checks().getFirst().detail())
          .contains("is encrypted under key kek-2026-12");
      assertThat(KeyRotation.rewrap(catalog, newKek, "kek-2026-12", List.of()).strandedByFingerprint()).isEmpty();
    }
  }

  @Test
  void aWrongKeyFailsClearlyNamingTheFingerprints(TestBucket bucket) throws Exception {
    try (var store = store(bucket.endpoint(), bucket)) {
      var catalog = new BackupCatalog(store, "");
      var manifest = backups.backup(request(), catalog, kek, phase -> {});
      var otherKey = KeyEncryptionKey.fromBase64(randomKey());

      var result = restoreTester.test(manifest, catalog, otherKey, target, SESSION, RTO, RPO);

      assertThat(result.passed()).isFalse();
      assertThat(result.checks().getFirst().detail())
          .isEqualTo("Backup " + manifest.backupId() + " is encrypted under key " + kek.fingerprint() + " (fingerprint "
              + kek.fingerprint() + "), but the key given has fingerprint " + otherKey.fingerprint());
      assertNoScratchDatabaseLeft();
    }
  }

  @Test
  void storageUnreachableMidUploadLeavesNoListedBackup(TestBucket bucket) throws Exception {
    URI s3 = URI.create(bucket.endpoint());
    try (var relay = new TcpRelay(s3.getHost(), s3.getPort(), 4 << 20);
        var store = store("http://127.0.0.1:" + relay.port(), bucket);
        var direct = store(bucket.endpoint(), bucket)) {
      CompletableFuture.runAsync(() -> {
        await().atMost(Duration.ofSeconds(30)).until(() -> relay.relayedUpstream() > 64 * 1024);
        relay.cut();
      });

      assertThatThrownBy(() -> backups.backup(request(), new BackupCatalog(store, "recipes/"), kek, phase -> {}))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("127.0.0.1:" + relay.port());

      var catalog = new BackupCatalog(direct, "recipes/");
      assertThat(catalog.list()).isEmpty();
      catalog.removeIncomplete(Set.of());
      // Under the policy's prefix (s3proxy keeps its own multipart bookkeeping at the bucket root).
      assertThat(direct.list("recipes/")).isEmpty();
      assertThat(direct.unfinishedUploads("recipes/")).isEmpty();
    }
  }

  @Test
  void anInterruptedBackupLeavesNothingBehind(TestBucket bucket) throws Exception {
    URI s3 = URI.create(bucket.endpoint());
    try (var relay = new TcpRelay(s3.getHost(), s3.getPort(), 2 << 20); var store = store("http://127.0.0.1:" + relay.port(), bucket)) {
      var catalog = new BackupCatalog(store, "recipes/");
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread worker = Thread.ofPlatform().start(() -> {
        try {
          backups.backup(request(), catalog, kek, phase -> {});
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> relay.relayedUpstream() > 64 * 1024);
      worker.interrupt();
      worker.join(Duration.ofSeconds(60));

      assertThat(worker.isAlive()).isFalse();
      assertThat(failure.get()).isNotNull();
      assertThat(catalog.list()).isEmpty();
      assertThat(store.list("recipes/")).isEmpty();
      assertThat(store.unfinishedUploads("recipes/")).isEmpty();
    }
  }

  /** pg_restore (and pg_dump alike) on a server that stops answering is stopped at its bound instead of hanging. */
  @Test
  void aRestoreOnAServerThatHangsIsStoppedAtItsBound() throws Exception {
    byte[] archive;
    try (var c = db.connect()) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(java.sql.Connection.TRANSACTION_REPEATABLE_READ);
      var rs = c.createStatement().executeQuery("SELECT pg_export_snapshot()");
      rs.next();
      try (var dump = tools.dump(target, rs.getString(1), Compression.GZIP, Duration.ofMinutes(1))) {
        dump.process().getOutputStream().close();
        archive = dump.process().getInputStream().readAllBytes();
        dump.awaitSuccess();
      }
      c.rollback();
    }
    try (var relay = new TcpRelay(db.host(), db.port(), 0)) {
      relay.freeze();
      var hanging = new PostgresTarget("127.0.0.1", relay.port(), db.name(), db.user(), db.password(), PostgresTls.Mode.DISABLE, null);
      long start = System.nanoTime();
      try (var restore = tools.restore(hanging, SESSION, Duration.ofSeconds(2))) {
        assertThatThrownBy(() -> restore.feed(new java.io.ByteArrayInputStream(archive), false))
            .isInstanceOf(IOException.class).hasMessageContaining("was stopped after running for PT2S");
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    }
  }

  private BackupService.Request request() {
    return request(Compression.ZSTD);
  }

  private BackupService.Request request(Compression compression) {
    return new BackupService.Request(BackupCatalog.newBackupId(Tier.DAILY, clock.instant()), Tier.DAILY,
        "ns/recipes", target, null, compression, java.time.Duration.ofHours(1));
  }

  private void assertNoScratchDatabaseLeft() throws SQLException {
    try (var c = db.connect(); var rs = c.createStatement().executeQuery(
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'du_restore_test_%'")) {
      rs.next();
      assertThat(rs.getInt(1)).isZero();
    }
  }

  static S3ObjectStore store(String endpoint, TestBucket bucket) {
    return S3ObjectStore.connect(endpoint, "us-east-1", true, bucket.name(),
        AwsBasicCredentials.create(bucket.accessKey(), bucket.secretKey()));
  }

  static String randomKey() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return Base64.getEncoder().encodeToString(raw);
  }
}
