package dev.databaseunit.operator.bootstrap;

import dev.databaseunit.operator.backup.BackupManifest;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.BootstrapStatus;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a unit's bootstrap does next, as plain functions over its recorded phase and what is found in the
 * database. The restore runs in one transaction, so "the database has tables" after Restoring means the restore
 * committed (the operator may have stopped before recording it), and an empty database means it did not.
 */
public final class BootstrapSteps {
  public static final String RESTORING = "Restoring";
  public static final String REAPPLYING = "ReapplyingErasures";
  public static final String COMPLETED = "Completed";
  public static final String FAILED = "Failed";

  public enum Step {
    /** Completed, or no bootstrap asked for. */
    NOTHING,
    /** The database holds data that no bootstrap of this unit put there: never overwrite it. */
    REFUSE,
    /** Pick the backup and record Restoring before anything is written. */
    CHOOSE_BACKUP,
    /** Restoring was recorded and the database is still empty: (re)run the restore. */
    RESTORE,
    /** The restore committed: apply again the erasures made after the backup. */
    REAPPLY_ERASURES
  }

  private BootstrapSteps() {}

  public static Step next(BootstrapStatus status, boolean databaseEmpty) {
    String phase = status != null ? status.phase() : null;
    if (COMPLETED.equals(phase)) {
      return Step.NOTHING;
    }
    if (phase == null || FAILED.equals(phase)) {
      return databaseEmpty ? Step.CHOOSE_BACKUP : Step.REFUSE;
    }
    // Restoring or ReapplyingErasures: an empty database means no restore committed (or its data was dropped).
    return databaseEmpty ? Step.RESTORE : Step.REAPPLY_ERASURES;
  }

  /** The named backup among the good ones, or the newest good one when no id is named. */
  public static Optional<BackupManifest> choose(List<BackupManifest> good, String backupId) {
    if (backupId == null || backupId.isEmpty()) {
      return good.stream().max(Comparator.comparing(BackupManifest::endTime));
    }
    return good.stream().filter(m -> m.backupId().equals(backupId)).findFirst();
  }

  /**
   * The newest good backup when it was taken after the restored one: its erasure ledger knows of erasures the
   * restored backup predates.
   */
  public static Optional<BackupManifest> newerLedgerSource(List<BackupManifest> good, BackupManifest restored) {
    return good.stream().max(Comparator.comparing(BackupManifest::endTime))
        .filter(newest -> newest.endTime().isAfter(restored.endTime()));
  }

  /**
   * Completed, real (not dry-run) Erase requests of the given units, oldest first: re-running them is a no-op
   * where the restored audit trail shows them completed, and erases again where the backup predates them.
   */
  public static List<GdprRequest> erasuresToReapply(List<GdprRequest> requests, Set<String> unitNames) {
    return requests.stream()
        .filter(r -> r.getSpec() != null && r.getSpec().type() == GdprRequestSpec.Type.Erase
            && !Boolean.TRUE.equals(r.getSpec().dryRun()) && unitNames.contains(r.getSpec().databaseUnit()))
        .filter(r -> r.getStatus() != null && COMPLETED.equals(r.getStatus().phase()))
        .sorted(Comparator.comparing((GdprRequest r) -> r.getMetadata().getCreationTimestamp(),
            Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(r -> r.getMetadata().getName()))
        .toList();
  }

  /**
   * The unit names whose erasures apply to a bootstrapped unit: its own, and the unit the backup was taken of
   * ({@code namespace/name} in the manifest) when that is in the same namespace.
   */
  public static Set<String> unitsOf(String namespace, String unitName, BackupManifest restored) {
    String source = restored.databaseUnit();
    if (source != null && source.startsWith(namespace + "/")) {
      return Set.copyOf(List.of(unitName, source.substring(namespace.length() + 1)));
    }
    return Set.of(unitName);
  }
}
