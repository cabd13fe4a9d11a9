package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The long work of a BackupPolicy, run off the reconcile thread: a backup (dump, encrypt, upload, manifest, copy,
 * then retention and key rotation), a restore test, and the clean-up of work an operator restart cut off. Each turns
 * every failure into a {@link BackupOutcome}; the reconciler never sees an exception from it.
 */
final class BackupWork {
  private final BackupService backups;
  private final RestoreTester restoreTester;
  private final ObjectStores stores;
  private final Clock clock;
  /** Backups a restore test is reading: retention never deletes them. */
  private final Set<String> inUse = ConcurrentHashMap.newKeySet();

  BackupWork(BackupService backups, RestoreTester restoreTester, ObjectStores stores, Clock clock) {
    this.backups = backups;
    this.restoreTester = restoreTester;
    this.stores = stores;
    this.clock = clock;
  }

  Callable<BackupOutcome> backup(BackupPolicy policy, PolicyInputs inputs, BackupSchedule schedule, Operation operation,
      Consumer<OperationPhase> phase) {
    String unit = policy.getMetadata().getNamespace() + "/" + policy.getSpec().databaseUnit();
    return () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        catalog.removeIncomplete(Set.of(operation.id()));
        var request = new BackupService.Request(operation.id(), schedule.tier(), unit, inputs.target(),
            policy.getSpec().encryption().keyId());
        BackupManifest manifest = backups.backup(request, catalog, inputs.kek(), phase);
        Boolean copied = null;
        String copyProblem = null;
        if (Boolean.TRUE.equals(schedule.copyToSecondary()) && inputs.secondary() != null) {
          phase.accept(OperationPhase.Copying);
          try (ObjectStore secondary = stores.open(inputs.secondary(), inputs.secondaryCredentials())) {
            catalog.copyTo(new BackupCatalog(secondary, inputs.secondary().prefix()), manifest);
            copied = true;
          } catch (IOException | RuntimeException e) {
            copied = false;
            copyProblem = e.getMessage();
          }
        }
        phase.accept(OperationPhase.Housekeeping);
        return housekeeping(policy, inputs, catalog, manifest, operation, false, copied, copyProblem);
      } catch (IOException | RuntimeException e) {
        return new BackupOutcome.BackupFailed(schedule.tier(), e.getMessage(), operation.scheduledFor(), operation.onDemandToken());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new BackupOutcome.Interrupted(operation.id());
      }
    };
  }

  /** Work the status says is underway but no thread runs: an operator restart cut it off. */
  Callable<BackupOutcome> recoverInterrupted(BackupPolicy policy, PolicyInputs inputs, Operation interrupted, Consumer<OperationPhase> phase) {
    return () -> {
      phase.accept(OperationPhase.CleaningUp);
      if (interrupted.kind() != OperationKind.Backup) {
        // A restore test's scratch database has a random name; the next test simply runs again.
        return new BackupOutcome.RestoreTestNotRun("interrupted by an operator restart", null, null);
      }
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        var finished = catalog.list().stream().filter(m -> m.backupId().equals(interrupted.id())).findFirst();
        if (finished.isPresent()) {
          return housekeeping(policy, inputs, catalog, finished.get(), interrupted, true, null, null);
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

  Callable<BackupOutcome> restoreTest(BackupPolicy policy, PolicyInputs inputs, Operation operation) {
    var spec = policy.getSpec().restoreTest();
    Duration rto = ApiDurations.parse(spec.rto() != null ? spec.rto() : "4h");
    Duration rpo = ApiDurations.parse(spec.rpo() != null ? spec.rpo() : "24h");
    String scheduledFor = operation.scheduledFor();
    String token = operation.onDemandToken();
    return () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        List<BackupManifest> good = catalog.list();
        if (good.isEmpty()) {
          return new BackupOutcome.NothingToTest(catalog.describe(), scheduledFor, token);
        }
        BackupManifest newest = good.getLast();
        inUse.add(newest.backupId());
        try {
          return new BackupOutcome.RestoreTested(restoreTester.test(newest, catalog, inputs.kek(), inputs.scratchServer(), rto, rpo),
              scheduledFor, token);
        } finally {
          inUse.remove(newest.backupId());
        }
      } catch (IOException | SQLException | RuntimeException e) {
        return new BackupOutcome.RestoreTestNotRun(e.getMessage(), scheduledFor, token);
      }
    };
  }

  /** After a backup: expired backups are deleted (manifest first), then backups under a previous KEK re-wrapped. */
  private BackupOutcome.BackedUp housekeeping(BackupPolicy policy, PolicyInputs inputs, BackupCatalog catalog, BackupManifest manifest,
      Operation operation, boolean adopted, Boolean copied, String copyProblem) throws IOException {
    List<BackupManifest> good = catalog.list();
    Map<Tier, Duration> retention = new EnumMap<>(Tier.class);
    BackupPlanner.schedules(policy.getSpec()).forEach(s -> retention.put(s.tier(), ApiDurations.parse(s.retention())));
    Set<String> expired = Retention.expired(good.stream().map(Retention.Backup::of).toList(), retention, inUse, clock.instant());
    for (String id : expired) {
      catalog.discard(id);
    }
    var rotation = KeyRotation.rewrap(catalog, inputs.kek(), policy.getSpec().encryption().keyId(), inputs.previousKeys());
    return new BackupOutcome.BackedUp(manifest, expired, good.size() - expired.size(), operation.scheduledFor(), operation.onDemandToken(),
        adopted, copied, copyProblem, rotation);
  }
}
