package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ObjectStore;
import dev.databaseunit.operator.storage.ObjectStores;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.BackupSource;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationPhase;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The long work of a BackupPolicy, run off the reconcile thread: a backup (dump, encrypt, upload, manifest, copy,
 * then retention and key rotation of the primary storage and the copies), a housekeeping retry, a restore test (of
 * the primary or of a copy), and the clean-up of work an operator restart cut off. Each turns
 * every failure into a {@link BackupOutcome}; the reconciler never sees an exception from it.
 */
final class BackupWork {
  private final BackupService backups;
  private final RestoreTester restoreTester;
  private final ObjectStores stores;
  private final Clock clock;
  /** Backups a restore test or a bootstrap is reading: retention never deletes them. */
  private final BackupsInUse inUse;

  BackupWork(BackupService backups, RestoreTester restoreTester, ObjectStores stores, Clock clock, BackupsInUse inUse) {
    this.backups = backups;
    this.restoreTester = restoreTester;
    this.stores = stores;
    this.clock = clock;
    this.inUse = inUse;
  }

  Callable<BackupOutcome> backup(BackupPolicy policy, PolicyInputs inputs, BackupSchedule schedule, Operation operation,
      Consumer<OperationPhase> phase) {
    String unit = policy.getMetadata().getNamespace() + "/" + policy.getSpec().databaseUnit();
    return () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        catalog.removeIncomplete(Set.of(operation.id()));
        var request = new BackupService.Request(operation.id(), schedule.tier(), unit, inputs.target(),
            policy.getSpec().encryption().keyId(), compression(policy.getSpec().logicalDump()),
            ApiDurations.parse(schedule.window() != null ? schedule.window() : BackupPlanner.DEFAULT_BACKUP_WINDOW));
        BackupManifest manifest = backups.backup(request, catalog, inputs.kek(), phase);
        Boolean copied = null;
        String copyProblem = null;
        if (Boolean.TRUE.equals(schedule.copyToSecondary()) && inputs.secondary() != null) {
          phase.accept(OperationPhase.Copying);
          try (ObjectStore secondary = stores.open(inputs.secondary(), inputs.secondaryCredentials())) {
            catalog.copyTo(new BackupCatalog(secondary, inputs.secondary().prefix()), manifest, inputs.kek());
            copied = true;
          } catch (IOException | RuntimeException e) {
            copied = false;
            copyProblem = e.getMessage();
          }
        }
        phase.accept(OperationPhase.Housekeeping);
        return new BackupOutcome.BackedUp(manifest, operation.scheduledFor(), operation.onDemandToken(), false, copied, copyProblem,
            housekeep(policy, inputs, catalog));
      } catch (IOException | RuntimeException e) {
        return new BackupOutcome.BackupFailed(schedule.tier(), e.getMessage(), operation.scheduledFor(), operation.onDemandToken());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new BackupOutcome.Interrupted(operation.id());
      }
    };
  }

  /** Housekeeping alone: the retry after it failed behind a backup that stands. */
  Callable<BackupOutcome> housekeeping(BackupPolicy policy, PolicyInputs inputs) {
    return () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        return new BackupOutcome.Housekept(housekeep(policy, inputs, new BackupCatalog(store, inputs.storage().prefix())));
      } catch (RuntimeException e) {
        return new BackupOutcome.Housekept(BackupOutcome.Housekeeping.failed(e.getMessage()));
      }
    };
  }

  /** Work the status says is underway but no thread runs: an operator restart cut it off. */
  Callable<BackupOutcome> recoverInterrupted(BackupPolicy policy, PolicyInputs inputs, Operation interrupted, Consumer<OperationPhase> phase) {
    return () -> {
      phase.accept(OperationPhase.CleaningUp);
      if (interrupted.kind() == OperationKind.RestoreTest) {
        // A restore test's scratch database has a random name; the next test simply runs again.
        return new BackupOutcome.RestoreTestNotRun("interrupted by an operator restart", null, null);
      }
      if (interrupted.kind() == OperationKind.Housekeeping) {
        return housekeeping(policy, inputs).call();
      }
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        var finished = catalog.list().stream().filter(m -> m.backupId().equals(interrupted.id())).findFirst();
        if (finished.isPresent()) {
          return new BackupOutcome.BackedUp(finished.get(), interrupted.scheduledFor(), interrupted.onDemandToken(), true, null, null,
              housekeep(policy, inputs, catalog));
        }
        catalog.discard(interrupted.id());
        return new BackupOutcome.Interrupted(interrupted.id());
      } catch (IOException | RuntimeException e) {
        // Like a scheduled fire, the request stays pending: the backup runs again once the cleanup succeeds.
        return new BackupOutcome.BackupFailed(interrupted.tier(), "cleaning up interrupted backup " + interrupted.id() + ": "
            + e.getMessage(), null, null);
      }
    };
  }

  /** The spec's compression, or the CRD's default when absent. */
  static BackupPolicySpec.Compression compression(BackupPolicySpec.LogicalDump dump) {
    return dump != null && dump.compression() != null ? dump.compression() : BackupPolicySpec.Compression.ZSTD;
  }

  /**
   * @param source the storage to restore from; a copy is tested only once one exists, until then the primary is
   */
  Callable<BackupOutcome> restoreTest(BackupPolicy policy, PolicyInputs inputs, Operation operation, BackupSource source) {
    var spec = policy.getSpec().restoreTest();
    Duration rto = ApiDurations.parse(spec.rto() != null ? spec.rto() : "4h");
    Duration rpo = ApiDurations.parse(spec.rpo() != null ? spec.rpo() : "24h");
    String scheduledFor = operation.scheduledFor();
    String token = operation.onDemandToken();
    return () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials());
          ObjectStore copies = source == BackupSource.Copy ? stores.open(inputs.secondary(), inputs.secondaryCredentials()) : null) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        BackupSource tested = source;
        List<BackupManifest> good = List.of();
        if (copies != null) {
          catalog = new BackupCatalog(copies, inputs.secondary().prefix());
          good = catalog.list();
        }
        if (good.isEmpty()) {
          tested = BackupSource.Primary;
          catalog = new BackupCatalog(store, inputs.storage().prefix());
          good = catalog.list();
        }
        if (good.isEmpty()) {
          return new BackupOutcome.NothingToTest(catalog.describe(), scheduledFor, token);
        }
        BackupManifest newest = good.getLast();
        try (var hold = inUse.hold(newest.backupId())) {
          return new BackupOutcome.RestoreTested(restoreTester.test(newest, catalog, inputs.kek(), inputs.scratchServer(),
              PostgresTools.RestoreSession.of(policy.getSpec().logicalDump()), rto, rpo),
              tested, scheduledFor, token);
        }
      } catch (IOException | SQLException | RuntimeException e) {
        return new BackupOutcome.RestoreTestNotRun(e.getMessage(), scheduledFor, token);
      }
    };
  }

  /**
   * After a backup: expired backups are deleted (manifest first), then backups under a previous KEK re-wrapped, in the
   * primary storage and then among the copies, which follow the same retention and keys. Never throws: a failure is
   * reported in the result and retried on its own.
   */
  private BackupOutcome.Housekeeping housekeep(BackupPolicy policy, PolicyInputs inputs, BackupCatalog primary) {
    Map<Tier, Duration> retention = new EnumMap<>(Tier.class);
    BackupPlanner.schedules(policy.getSpec()).forEach(s -> retention.put(s.tier(), ApiDurations.parse(s.retention())));
    String keyId = policy.getSpec().encryption().keyId();
    Set<String> expired = Set.of();
    Integer retained = null;
    KeyRotation.Result rotation = KeyRotation.Result.NONE;
    try {
      List<BackupManifest> good = primary.list();
      expired = expire(primary, good, retention);
      retained = good.size() - expired.size();
      rotation = KeyRotation.rewrap(primary, inputs.kek(), keyId, inputs.previousKeys());
    } catch (IOException | RuntimeException e) {
      return new BackupOutcome.Housekeeping(expired, Set.of(), retained, rotation, null, "in " + primary.describe() + ": "
          + e.getMessage());
    }
    if (inputs.secondary() == null) {
      return new BackupOutcome.Housekeeping(expired, Set.of(), retained, rotation, null, null);
    }
    Set<String> expiredCopies = Set.of();
    try (ObjectStore store = stores.open(inputs.secondary(), inputs.secondaryCredentials())) {
      var copies = new BackupCatalog(store, inputs.secondary().prefix());
      expiredCopies = expire(copies, copies.list(), retention);
      var copyRotation = KeyRotation.rewrap(copies, inputs.kek(), keyId, inputs.previousKeys());
      return new BackupOutcome.Housekeeping(expired, expiredCopies, retained, rotation, copyRotation, null);
    } catch (IOException | RuntimeException e) {
      return new BackupOutcome.Housekeeping(expired, expiredCopies, retained, rotation, null, "among the copies in "
          + inputs.secondary().bucket() + ": " + e.getMessage());
    }
  }

  private Set<String> expire(BackupCatalog catalog, List<BackupManifest> good, Map<Tier, Duration> retention) throws IOException {
    Set<String> expired = Retention.expired(good.stream().map(Retention.Backup::of).toList(), retention, inUse.snapshot(),
        clock.instant());
    for (String id : expired) {
      catalog.discard(id);
    }
    return expired;
  }
}
