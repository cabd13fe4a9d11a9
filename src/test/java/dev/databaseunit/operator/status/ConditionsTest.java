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
    assertThat(next).extracting(Condition::getType).containsExactly("Ready", "Degraded");
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
}
