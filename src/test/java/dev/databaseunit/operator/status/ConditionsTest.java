package dev.databaseunit.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00.123Z");
  private static final Instant T1 = Instant.parse("2026-11-25T11:00:00Z");

  private static List<Condition> notReady() {
    return Conditions.merge(null, List.of(new Conditions.Desired("Ready", false, "SecretNotFound", "Secret x missing")), 1, T0);
  }

  @Test
  void addsAConditionWithGenerationAndTransitionTime() {
    Condition ready = Conditions.find(notReady(), "Ready");
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getReason()).isEqualTo("SecretNotFound");
    assertThat(ready.getMessage()).isEqualTo("Secret x missing");
    assertThat(ready.getObservedGeneration()).isEqualTo(1L);
    assertThat(ready.getLastTransitionTime()).isEqualTo("2026-11-25T10:00:00Z");
  }

  @Test
  void keepsTransitionTimeWhenOnlyReasonOrGenerationChanges() {
    var next = Conditions.merge(notReady(), List.of(new Conditions.Desired("Ready", false, "SecretKeyMissing", "no key")), 2, T1);
    Condition ready = Conditions.find(next, "Ready");
    assertThat(ready.getReason()).isEqualTo("SecretKeyMissing");
    assertThat(ready.getObservedGeneration()).isEqualTo(2L);
    assertThat(ready.getLastTransitionTime()).isEqualTo("2026-11-25T10:00:00Z");
  }

  @Test
  void movesTransitionTimeWhenStatusFlips() {
    var next = Conditions.merge(notReady(), List.of(new Conditions.Desired("Ready", true, "Reconciled", "ok")), 1, T1);
    assertThat(Conditions.find(next, "Ready").getLastTransitionTime()).isEqualTo("2026-11-25T11:00:00Z");
    assertThat(Conditions.isTrue(next, "Ready")).isTrue();
  }

  @Test
  void leavesOtherTypesAndOrderAlone() {
    var base = Conditions.merge(notReady(), List.of(new Conditions.Desired("Degraded", true, "SecretNotFound", "m")), 1, T0);
    var next = Conditions.merge(base, List.of(new Conditions.Desired("Ready", true, "Reconciled", "ok")), 1, T1);
    assertThat(next).extracting(Condition::getType).containsExactly("Ready", "Stalled", "Reconciling", "Degraded");
    assertThat(Conditions.find(next, "Degraded")).isEqualTo(Conditions.find(base, "Degraded"));
  }

  @Test
  void sameInputGivesAnEqualList() {
    var again = Conditions.merge(notReady(), List.of(new Conditions.Desired("Ready", false, "SecretNotFound", "Secret x missing")), 1, T1);
    assertThat(again).isEqualTo(notReady());
  }

  @Test
  void lookupsToleratesMissingConditions() {
    assertThat(Conditions.find(null, "Ready")).isNull();
    assertThat(Conditions.isTrue(List.of(), "Ready")).isFalse();
  }

  // ----- kstatus: Reconciling and Stalled, derived on every merge -----

  private static List<Condition> state(boolean ready, String readyReason, Boolean degraded, String degradedReason, boolean progressing) {
    var desired = new java.util.ArrayList<Conditions.Desired>();
    desired.add(new Conditions.Desired("Ready", ready, readyReason, "ready: " + readyReason));
    if (degraded != null) {
      desired.add(new Conditions.Desired("Degraded", degraded, degradedReason, "degraded: " + degradedReason));
    }
    desired.add(new Conditions.Desired("Progressing", progressing, progressing ? "InProgress" : "Idle", "progressing"));
    return Conditions.merge(null, desired, 3, T0);
  }

  private static String kstatus(List<Condition> conditions) {
    return Conditions.find(conditions, "Stalled").getStatus() + "/" + Conditions.find(conditions, "Reconciling").getStatus();
  }

  @Test
  void aHealthyResourceIsNeitherStalledNorReconciling() {
    assertThat(kstatus(state(true, "Reconciled", false, "AsExpected", false))).isEqualTo("False/False");
    // A Ready resource doing scheduled work (a backup, a maintenance run) is still where its spec wants it.
    assertThat(kstatus(state(true, "Reconciled", false, "AsExpected", true))).isEqualTo("False/False");
  }

  @Test
  void aProblemOnlyAPersonCanFixStallsTheResource() {
    for (String reason : List.of("SecretNotFound", "ConfigMapNotFound", "BackupUnitNotFound", "MaintenanceInvalidSchedule",
        "VectorTableNotFound", "MigrationFailed", "RestoreTestFailed", "MaintenanceFailed", "InternalError")) {
      var conditions = state(false, reason, true, reason, false);
      assertThat(kstatus(conditions)).as(reason).isEqualTo("True/False");
      Condition stalled = Conditions.find(conditions, "Stalled");
      assertThat(stalled.getReason()).isEqualTo(reason);
      assertThat(stalled.getMessage()).isEqualTo("degraded: " + reason);
      assertThat(stalled.getObservedGeneration()).isEqualTo(3L);
    }
  }

  @Test
  void aProblemTheOperatorRetriesIsReconcilingNotStalled() {
    for (String reason : List.of("DatabaseUnreachable", "CacheUnreachable", "BackupFailed", "GdprRequestRetrying")) {
      var conditions = state(false, reason, true, reason, false);
      assertThat(kstatus(conditions)).as(reason).isEqualTo("False/True");
      assertThat(Conditions.find(conditions, "Reconciling").getReason()).isEqualTo(reason);
    }
  }

  @Test
  void workTowardsReadyIsReconcilingWithWhatIsInProgress() {
    var conditions = state(false, "InProgress", false, "AsExpected", true);
    assertThat(kstatus(conditions)).isEqualTo("False/True");
    assertThat(Conditions.find(conditions, "Reconciling").getMessage()).isEqualTo("progressing");
    // A resource seen for the first time, with only Progressing set (a GdprRequest's first step).
    var first = Conditions.merge(null, List.of(new Conditions.Desired("Progressing", true, "Running", "Export in progress")), 1, T0);
    assertThat(kstatus(first)).isEqualTo("False/True");
    assertThat(Conditions.find(first, "Reconciling").getReason()).isEqualTo("Running");
  }

  @Test
  void reconcilingAndStalledFollowTheTransitionRules() {
    var stalled = state(false, "SecretNotFound", true, "SecretNotFound", false);
    var fixed = Conditions.merge(stalled, List.of(new Conditions.Desired("Ready", true, "Reconciled", "ok"),
        new Conditions.Desired("Degraded", false, "AsExpected", "ok")), 4, T1);
    assertThat(kstatus(fixed)).isEqualTo("False/False");
    assertThat(Conditions.find(fixed, "Stalled").getLastTransitionTime()).isEqualTo("2026-11-25T11:00:00Z");
    assertThat(Conditions.find(fixed, "Reconciling").getLastTransitionTime()).as("was False, stays False")
        .isEqualTo("2026-11-25T10:00:00Z");
    assertThat(Conditions.find(fixed, "Stalled").getObservedGeneration()).isEqualTo(4L);
  }
}
