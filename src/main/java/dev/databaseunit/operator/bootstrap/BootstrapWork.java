package dev.databaseunit.operator.bootstrap;

import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.backup.BackupReader;
import dev.databaseunit.operator.backup.BackupCatalog;
import dev.databaseunit.operator.storage.ObjectStore;
import dev.databaseunit.operator.backup.BackupManifest;
import dev.databaseunit.operator.backup.BackupsInUse;
import dev.databaseunit.operator.storage.ObjectStores;
import dev.databaseunit.operator.backup.PostgresTools;
import dev.databaseunit.operator.storage.KeyEncryptionKey;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.gdpr.ErasureLedger;
import dev.databaseunit.operator.gdpr.GdprService;
import dev.databaseunit.operator.gdpr.SubjectKey;
import dev.databaseunit.operator.gdpr.SubjectPlan;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * The two long steps of a bootstrap, run off the reconcile thread: the restore of a backup into the unit's
 * empty database (verified and decrypted on the fly, pg_restore in one transaction), and the re-application of
 * the erasures made after that backup was taken: the erasure ledger of the newest backup of the same policy
 * (read from a short-lived scratch database holding only the ledger and salt tables) and the completed Erase
 * GdprRequests still present for the unit.
 */
public final class BootstrapWork implements AutoCloseable {
  /** The ledger and the salt its hashes are made with: all a newer backup has to tell about erasures. */
  private static final List<String> LEDGER_TABLES = List.of("gdpr_erasure_ledger", "gdpr_subject_salt");

  /**
   * Where the backups are and the keys that open them (the current key first, then previous ones).
   *
   * @param session the policy's settings for restore sessions (maintenance_work_mem, parallel index builds)
   * @param rto the policy's recovery time objective: how long pg_restore may run
   */
  public record Source(BackupPolicySpec.ObjectStorage storage, AwsBasicCredentials credentials, List<KeyEncryptionKey> keys,
      PostgresTools.RestoreSession session, java.time.Duration rto) {
    @Override
    public String toString() {
      return "Source[" + storage.bucket() + "/" + storage.prefix() + "]";
    }
  }

  public record Restored(BackupManifest manifest) {}

  /** @param subjects subjects whose rows were found in the restored data and erased again */
  public record Reapplied(int subjects, int ledgerEntries, int requests) {}

  private final PostgresTools tools;
  private final ObjectStores stores;
  private final GdprService gdpr;
  private final Set<Process> running = ConcurrentHashMap.newKeySet();
  private final BackupsInUse inUse;

  /** @param inUse backups being read, shared with the backup reconciler: its retention keeps the one restored here */
  public BootstrapWork(PostgresTools tools, ObjectStores stores, GdprService gdpr, BackupsInUse inUse) {
    this.tools = tools;
    this.stores = stores;
    this.gdpr = gdpr;
    this.inUse = inUse;
  }

  /** Lists the policy's good backups and picks the one to restore (by id, or the newest). */
  public BackupManifest choose(Source source, String backupId) throws UnitProblem {
    try (ObjectStore store = stores.open(source.storage(), source.credentials())) {
      return find(new BackupCatalog(store, source.storage().prefix()).list(), backupId);
    } catch (IOException | RuntimeException e) {
      throw new UnitProblem(EventReason.BootstrapRestoreFailed, "Cannot list the backups in " + describe(source) + ": "
          + e.getMessage(), e);
    }
  }

  /** Restores the backup into {@code target}; when this throws, the single transaction left the target empty. */
  public Restored restore(Source source, String backupId, PostgresTarget target) throws UnitProblem {
    try (ObjectStore store = stores.open(source.storage(), source.credentials())) {
      var catalog = new BackupCatalog(store, source.storage().prefix());
      BackupManifest manifest = find(catalog.list(), backupId);
      try (var restore = tools.restoreInOneTransaction(target, source.session(), source.rto())) {
        restoreArchive(restore, store, manifest, source.keys(), false);
      }
      return new Restored(manifest);
    } catch (ChunkedGcm.TamperedException | BackupReader.WrongKeyException e) {
      throw new UnitProblem(EventReason.BootstrapBackupInvalid, "Backup " + backupId + " failed verification, nothing was "
          + "restored: " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new UnitProblem(EventReason.BootstrapRestoreFailed, "The restore of backup " + backupId + " failed and was rolled "
          + "back: " + DatabaseFailures.redact(String.valueOf(e.getMessage()), target.password()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnitProblem(EventReason.BootstrapRestoreFailed, "The restore of backup " + backupId + " was interrupted "
          + "and rolled back", e);
    }
  }

  /**
   * Verifies, decrypts and streams a stored backup into a started pg_restore, which {@link #close} can kill.
   *
   * @param selective pg_restore restores only some tables: it may finish (successfully) before the archive ends
   */
  private void restoreArchive(PostgresTools.Running restore, ObjectStore store, BackupManifest manifest,
      List<KeyEncryptionKey> keys, boolean selective) throws IOException, InterruptedException {
    running.add(restore.process());
    try (var hold = inUse.hold(manifest.backupId());
        InputStream stored = store.open(manifest.objectKey());
        InputStream archive = BackupReader.archive(manifest, stored, keyFor(manifest, keys))) {
      restore.feed(archive, selective);
    } finally {
      running.remove(restore.process());
    }
  }

  /**
   * Kills the pg_restore processes still running (their transactions roll back), so a stopped operator leaves no
   * restore behind that could commit after a new one started.
   */
  @Override
  public void close() {
    running.forEach(Process::destroyForcibly);
  }

  /**
   * Applies again, to the restored database, every erasure made after the backup: first the ledger of a newer
   * backup (it also brings the subject salt, so hashes match the original unit's), then the Erase requests
   * (each a no-op where the restored audit trail already shows it completed). Each step is idempotent.
   */
  public Reapplied reapplyErasures(Source source, String backupId, PostgresTarget target, DataSource unitDatabase,
      SubjectPlan plan, SubjectKey key, List<GdprRequest> requests, String note) throws UnitProblem {
    int subjects = 0;
    int ledgerEntries = 0;
    try {
      ErasureLedger ledger = newerLedger(source, backupId, target, plan);
      if (ledger != null && !ledger.entries().isEmpty()) {
        ledgerEntries = ledger.entries().size();
        try (Connection c = unitDatabase.getConnection()) {
          subjects += ledger.reapply(c, key).subjects();
        }
      }
      if (!requests.isEmpty()) {
        var prepared = gdpr.prepare(unitDatabase, plan, key);
        for (GdprRequest r : requests) {
          var spec = r.getSpec();
          var request = new GdprService.Request(r.getMetadata().getUid(), spec.subjectId(), spec.requestedBy(),
              (spec.reason() != null ? spec.reason() + "; " : "") + note);
          gdpr.requested(unitDatabase, prepared, request, true);
          var erasure = gdpr.erase(unitDatabase, prepared, request, false, Map.of());
          if (!erasure.replayed() && erasure.subjectFound()) {
            subjects++;
          }
        }
      }
      return new Reapplied(subjects, ledgerEntries, requests.size());
    } catch (SQLException e) {
      throw new UnitProblem(EventReason.BootstrapErasuresFailed, "Erasures made after backup " + backupId + " could not be "
          + "re-applied (rolled back, retried): " + DatabaseFailures.redact(String.valueOf(e.getMessage()), target.password()), e);
    } catch (IOException | RuntimeException e) {
      throw new UnitProblem(EventReason.BootstrapErasuresFailed, "The erasure ledger of a newer backup could not be read "
          + "(retried): " + DatabaseFailures.redact(String.valueOf(e.getMessage()), target.password()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnitProblem(EventReason.BootstrapErasuresFailed, "Re-applying erasures was interrupted (retried)", e);
    }
  }

  /** The ledger of the newest backup when it is newer than the restored one, else null. */
  private ErasureLedger newerLedger(Source source, String backupId, PostgresTarget target, SubjectPlan plan)
      throws UnitProblem, IOException, SQLException, InterruptedException {
    try (ObjectStore store = stores.open(source.storage(), source.credentials())) {
      List<BackupManifest> good = new BackupCatalog(store, source.storage().prefix()).list();
      var newer = BootstrapSteps.newerLedgerSource(good, find(good, backupId));
      if (newer.isEmpty()) {
        return null;
      }
      BackupManifest manifest = newer.get();
      // Only the two small ledger tables are restored, into a database of their own that is always dropped.
      String scratch = "du_bootstrap_ledger_" + HexFormat.of().formatHex(randomBytes());
      PostgresTarget scratchTarget = target.withDatabase(scratch);
      admin(target, "CREATE DATABASE " + scratch);
      try {
        try (var restore = tools.restoreTables(scratchTarget, source.session(), LEDGER_TABLES, source.rto())) {
          restoreArchive(restore, store, manifest, source.keys(), true);
        }
        try (Connection c = tools.connect(scratchTarget)) {
          return ErasureLedger.read(c, plan);
        }
      } finally {
        admin(target, "DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)");
      }
    }
  }

  private void admin(PostgresTarget target, String sql) throws SQLException {
    try (Connection c = tools.connect(target); var st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private static BackupManifest find(List<BackupManifest> good, String backupId) throws UnitProblem {
    return BootstrapSteps.choose(good, backupId).orElseThrow(() -> new UnitProblem(EventReason.BootstrapBackupNotFound,
        backupId == null || backupId.isEmpty() ? "The policy has no good backup (none with a manifest)"
            : "Backup " + backupId + " is not a good backup of the policy (no manifest under that id)"));
  }

  /** The key the backup's data key was wrapped with: a rotation may not have re-wrapped every backup yet. */
  private static KeyEncryptionKey keyFor(BackupManifest manifest, List<KeyEncryptionKey> keys) {
    String wanted = manifest.encryption().keyFingerprint();
    return keys.stream().filter(k -> k.fingerprint().equals(wanted)).findFirst().orElse(keys.getFirst());
  }

  private static String describe(Source source) {
    return "bucket " + source.storage().bucket() + (source.storage().prefix() != null ? "/" + source.storage().prefix() : "");
  }
}
