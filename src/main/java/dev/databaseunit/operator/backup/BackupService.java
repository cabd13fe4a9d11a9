package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ObjectStore;
import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import com.github.luben.zstd.ZstdOutputStream;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationPhase;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import javax.crypto.SecretKey;

/**
 * Takes one backup: pg_dump (custom format) of the unit's database, compressed, streamed through chunked AES-256-GCM
 * into a multipart upload, then the manifest. Memory is constant (a few blocks per stage, one GCM chunk, zstd's window
 * and four upload parts).
 * By default pg_dump writes uncompressed and the stream is compressed here with zstd level 1: pg_dump's zlib at its
 * default level was about 88% of a backup's time, and zstd in another process than pg_dump puts the second core to
 * work; the archive is a plain {@code pg_restore} input again after decryption and decompression.
 *
 * <p>Row counts are taken in the very snapshot pg_dump dumps (exported, then passed with --snapshot), on a thread
 * of their own while the dump streams, so they add little to the backup's duration.
 */
public final class BackupService {
  /** @param bound how long pg_dump may run: the tier's window */
  public record Request(String backupId, Tier tier, String databaseUnit, PostgresTarget target, String keyId,
      Compression compression, java.time.Duration bound) {}

  private final PostgresTools tools;
  private final Clock clock;

  public BackupService(PostgresTools tools, Clock clock) {
    this.tools = tools;
    this.clock = clock;
  }

  public BackupManifest backup(Request request, BackupCatalog catalog, KeyEncryptionKey kek, Consumer<OperationPhase> phases)
      throws IOException, InterruptedException {
    Instant start = clock.instant();
    String objectKey = catalog.objectKey(request.backupId());
    SecretKey dataKey = KeyEncryptionKey.newDataKey();
    PostgresTarget target = request.target();
    phases.accept(OperationPhase.Dumping);
    try (Connection snapshotHolder = tools.connect(target)) {
      snapshotHolder.setAutoCommit(false);
      snapshotHolder.setReadOnly(true);
      snapshotHolder.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      String snapshot = single(snapshotHolder, "SELECT pg_export_snapshot()");
      String serverVersion = single(snapshotHolder, "SELECT current_setting('server_version')");
      String lsn = single(snapshotHolder,
          "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text");

      Streamed streamed;
      List<TableSnapshot.Table> tables;
      try (var dump = tools.dump(target, snapshot, request.compression(), request.bound())) {
        // Counting in the exporting transaction reads the same snapshot pg_dump imported.
        var counting = CompletableFuture.supplyAsync(() -> {
          try {
            return TableSnapshot.take(snapshotHolder);
          } catch (SQLException e) {
            throw new CompletionException(e);
          }
        }, Thread::startVirtualThread);
        dump.process().getOutputStream().close();
        streamed = upload(dump, catalog.store(), objectKey, dataKey, request.backupId(), request.compression());
        tables = join(counting, target);
      }
      snapshotHolder.commit();
      phases.accept(OperationPhase.WritingManifest);
      var manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, request.backupId(), request.tier(),
          request.databaseUnit(), start, clock.instant(), target.database(), serverVersion, lsn, objectKey,
          describe(request.compression()), request.compression(), streamed.dumpBytes, streamed.storedBytes, streamed.sha256,
          new BackupManifest.EncryptionInfo("AES-256-GCM, chunked v2 (bound to the backup id)", ChunkedGcm.DEFAULT_CHUNK_SIZE,
              request.keyId() != null ? request.keyId() : kek.fingerprint(), kek.fingerprint(),
              Base64.getEncoder().encodeToString(kek.wrap(dataKey))),
          tables, null);
      manifest = ManifestMac.sign(manifest, kek);
      catalog.writeManifest(manifest);
      return manifest;
    } catch (SQLException e) {
      var failure = new IOException(DatabaseFailures.classify(target, e).getMessage(), e);
      discardAfterFailure(catalog, request.backupId(), failure);
      throw failure;
    } catch (IOException | InterruptedException | RuntimeException e) {
      discardAfterFailure(catalog, request.backupId(), e);
      throw e;
    }
  }

  /** A failed backup leaves nothing behind; if the store is down too, the next run's cleanup removes the rest. */
  private static void discardAfterFailure(BackupCatalog catalog, String backupId, Exception failure) {
    boolean interrupted = Thread.interrupted();
    try {
      catalog.discard(backupId);
    } catch (IOException e) {
      failure.addSuppressed(e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private record Streamed(long dumpBytes, long storedBytes, String sha256) {}

  static String describe(Compression compression) {
    return switch (compression) {
      case ZSTD -> "pg_dump custom format, uncompressed, in a zstd stream (level " + ZSTD_LEVEL + ")";
      case GZIP -> "pg_dump custom format (zlib, pg_dump default level)";
      case NONE -> "pg_dump custom format, uncompressed";
    };
  }

  /** zstd's fastest regular level: it keeps up with pg_dump on one core and still compresses about as well as zlib -6. */
  static final int ZSTD_LEVEL = 1;

  /** Blocks handed between the pipeline's stages: large enough that a hand-over costs nothing, small enough to stay in cache. */
  static final int STAGE_BLOCK = 256 << 10;
  /** Blocks queued between two stages (a megabyte): enough to ride out a hiccup of the next stage. */
  static final int STAGE_DEPTH = 4;

  /**
   * The pipeline: this thread reads pg_dump's stdout, zstd runs on a thread of its own, AES-GCM and sha256 on another,
   * and the upload sends parts from its own threads, so on two cores compression, encryption and upload overlap with
   * pg_dump. Any stage's failure fails the backup, and a failure or an interrupt stops every stage and aborts the
   * upload before the object completes.
   */
  private static Streamed upload(PostgresTools.Running dump, ObjectStore store, String objectKey, SecretKey dataKey, String backupId,
      Compression compression) throws IOException, InterruptedException {
    MessageDigest sha = sha256();
    ObjectStore.Upload upload = store.create(objectKey);
    var stored = new CountingOutputStream(upload);
    List<Handoff> stages = new ArrayList<>();
    long dumpBytes = 0;
    try (InputStream in = dump.process().getInputStream()) {
      OutputStream head = stage(stages, "backup-encrypt-" + backupId, ChunkedGcm.encrypt(new DigestOutputStream(stored, sha), dataKey,
          ChunkedGcm.DEFAULT_CHUNK_SIZE, backupId));
      if (compression == Compression.ZSTD) {
        head = stage(stages, "backup-zstd-" + backupId, new ZstdOutputStream(head, ZSTD_LEVEL));
      }
      byte[] buffer = new byte[STAGE_BLOCK];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (Thread.interrupted()) {
          throw new InterruptedIOException("backup interrupted");
        }
        head.write(buffer, 0, n);
        dumpBytes += n;
      }
      dump.awaitSuccess();
      // Closing the first stage closes each next one in turn, down to the upload, which completes last.
      head.close();
    } catch (Throwable e) {
      // Errors too (a native library that fails to load, OutOfMemoryError): a stage's thread would otherwise wait
      // forever for blocks, holding its buffers and the open multipart upload.
      stages.forEach(Handoff::abort);
      upload.abort();
      throw e;
    }
    return new Streamed(dumpBytes, stored.count(), HexFormat.of().formatHex(sha.digest()));
  }

  private static Handoff stage(List<Handoff> stages, String name, OutputStream downstream) {
    var stage = new Handoff(name, downstream, STAGE_BLOCK, STAGE_DEPTH);
    stages.add(stage);
    return stage;
  }

  private static List<TableSnapshot.Table> join(CompletableFuture<List<TableSnapshot.Table>> counting, PostgresTarget target)
      throws IOException {
    try {
      return counting.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw new IOException("Counting rows failed: " + DatabaseFailures.redact(sql.getMessage(), target.password()), sql);
      }
      throw e;
    }
  }

  private static String single(Connection connection, String sql) throws SQLException {
    try (var st = connection.createStatement(); var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
