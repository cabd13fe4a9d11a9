package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.TierStatus;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BackupPolicy's status while one reconcile works on it: the planner and the reducer change it, the reconciler
 * builds the next status from it and patches only when that differs. A value, no I/O.
 */
final class PolicyDraft {
  /** The failures that stay reported (Degraded) until the next success, whatever reconciles happen in between. */
  private static final Set<EventReason> STANDING_FAILURES =
      Set.of(EventReason.BackupFailed, EventReason.RestoreTestFailed, EventReason.BackupKeyStillNeeded,
          EventReason.BackupHousekeepingFailed);

  final Map<Tier, TierState> tiers = new EnumMap<>(Tier.class);
  final TierState restoreSchedule;
  String scheduledSince;
  String restoreTestWaitingFor;
  Operation inProgress;
  BackupPolicyStatus.BackupRecord lastBackup;
  Integer retained;
  BackupPolicyStatus.RestoreTestReport lastRestoreTest;
  BackupPolicyStatus.OnDemandRequest lastOnDemandBackup;
  BackupPolicyStatus.OnDemandRequest lastOnDemandRestoreTest;
  UnitProblem workFailure;
  Conditions.Desired onSchedule;

  PolicyDraft(BackupPolicyStatus status) {
    if (status.tiers() != null) {
      status.tiers().forEach(t -> tiers.put(t.tier(), new TierState(t)));
    }
    restoreSchedule = new TierState(status.restoreTestSchedule());
    scheduledSince = status.scheduledSince();
    restoreTestWaitingFor = status.restoreTestWaitingFor();
    inProgress = status.inProgress();
    lastBackup = status.lastBackup();
    retained = status.retainedBackups();
    lastRestoreTest = status.lastRestoreTest();
    lastOnDemandBackup = status.lastOnDemandBackup();
    lastOnDemandRestoreTest = status.lastOnDemandRestoreTest();
    // The Degraded condition is where a standing failure is recorded; its reason is one this class wrote.
    var degraded = Conditions.find(status.conditions(), Conditions.DEGRADED);
    if (degraded != null && "True".equals(degraded.getStatus())) {
      STANDING_FAILURES.stream().filter(r -> r.name().equals(degraded.getReason())).findFirst()
          .ifPresent(reason -> workFailure = new UnitProblem(reason, degraded.getMessage()));
    }
  }

  static PolicyDraft of(BackupPolicyStatus status) {
    return new PolicyDraft(status != null ? status : empty());
  }

  static BackupPolicyStatus empty() {
    return new BackupPolicyStatus(null, null, List.of(), List.of(), null, null, null, null, null, null, null, null);
  }

  TierState tier(Tier tier) {
    return tiers.computeIfAbsent(tier, t -> new TierState(new TierStatus(t, null, null, null, 0)));
  }

  BackupPolicyStatus build(long generation, List<Condition> conditions) {
    return new BackupPolicyStatus(generation, scheduledSince, conditions, tiers.values().stream().map(TierState::build).toList(),
        restoreSchedule.build(), restoreTestWaitingFor, inProgress, lastBackup, retained, lastRestoreTest, lastOnDemandBackup,
        lastOnDemandRestoreTest);
  }

  /** The schedule state of one tier, or of the restore test (tier unset). */
  static final class TierState {
    final Tier tier;
    String lastFireTime;
    String lastSuccessTime;
    String nextFireTime;
    int missedFires;

    TierState(TierStatus status) {
      tier = status != null ? status.tier() : null;
      if (status != null) {
        lastFireTime = status.lastFireTime();
        lastSuccessTime = status.lastSuccessTime();
        nextFireTime = status.nextFireTime();
        missedFires = status.missedFires() != null ? status.missedFires() : 0;
      }
    }

    TierStatus build() {
      return new TierStatus(tier, lastFireTime, lastSuccessTime, nextFireTime, missedFires);
    }
  }
}
