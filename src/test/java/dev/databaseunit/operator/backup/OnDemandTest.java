package dev.databaseunit.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OnDemandRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OnDemandTest {
  private static final List<BackupSchedule> DAILY_WEEKLY = List.of(schedule(Tier.DAILY), schedule(Tier.WEEKLY));

  private static BackupSchedule schedule(Tier tier) {
    return new BackupSchedule(tier, "0 0 3 * * ?", "UTC", "1h", "30d", false);
  }

  private static OnDemandRequest handled(String token) {
    return new OnDemandRequest(token, "Succeeded", "b1", null, null, null);
  }

  @Test
  void aNewTokenIsABackupOfTheFirstScheduleTierUnlessOneIsNamed() {
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "t1"), null, DAILY_WEEKLY))
        .contains(new OnDemand.Request("t1", Tier.DAILY, null));
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "t1", OnDemand.BACKUP_TIER, " Weekly "), null, DAILY_WEEKLY))
        .contains(new OnDemand.Request("t1", Tier.WEEKLY, null));
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "t2"), handled("t1"), List.of(schedule(Tier.WEEKLY))))
        .contains(new OnDemand.Request("t2", Tier.WEEKLY, null));
  }

  @Test
  void aHandledTokenIsNeverPendingAgainAndNoTokenIsNoRequest() {
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "t1"), handled("t1"), DAILY_WEEKLY)).isEmpty();
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, " t1\n"), handled("t1"), DAILY_WEEKLY)).isEmpty();
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "  "), null, DAILY_WEEKLY)).isEmpty();
    assertThat(OnDemand.pendingBackup(Map.of("other", "x"), null, DAILY_WEEKLY)).isEmpty();
    assertThat(OnDemand.pendingBackup(null, null, DAILY_WEEKLY)).isEmpty();
    assertThat(OnDemand.pendingRestoreTest(Map.of(OnDemand.RESTORE_TEST_NOW, "r1"), handled("r1"))).isEmpty();
    assertThat(OnDemand.pendingRestoreTest(Map.of(OnDemand.RESTORE_TEST_NOW, "r2"), handled("r1")))
        .contains(new OnDemand.Request("r2", null, null));
    // A backup token does not ask for a restore test, nor the other way round.
    assertThat(OnDemand.pendingRestoreTest(Map.of(OnDemand.BACKUP_NOW, "t1"), null)).isEmpty();
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.RESTORE_TEST_NOW, "r1"), null, DAILY_WEEKLY)).isEmpty();
  }

  @Test
  void aTierWithoutScheduleIsRejectedWithTheTiersThereAre() {
    var request = OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "t1", OnDemand.BACKUP_TIER, "monthly"), null, DAILY_WEEKLY);
    assertThat(request).get().extracting(OnDemand.Request::tier).isNull();
    assertThat(request.get().rejection()).isEqualTo(
        "databaseunit.dev/backup-tier names tier 'monthly', which no schedule of the policy has (its retention would be unknown);"
            + " the policy's tiers: [daily, weekly]");
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, "t1", OnDemand.BACKUP_TIER, "yearly"), null, DAILY_WEEKLY).get()
        .rejection()).startsWith("databaseunit.dev/backup-tier names tier 'yearly'");
  }

  /** Long tokens are compared (and recorded) by their first 253 characters, so a handled long token stays handled. */
  @Test
  void longTokensAreHandledOnceByTheirPrefix() {
    String longToken = "x".repeat(400);
    var request = OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, longToken), null, DAILY_WEEKLY).orElseThrow();
    assertThat(request.token()).hasSize(OnDemand.MAX_TOKEN);
    assertThat(OnDemand.pendingBackup(Map.of(OnDemand.BACKUP_NOW, longToken), handled(request.token()), DAILY_WEEKLY)).isEmpty();
  }

  /** Random sequences of annotation writes: a request is pending exactly when its token differs from the last handled. */
  @Test
  void eachDistinctTokenIsPendingUntilHandled() {
    var random = new java.util.Random(7);
    for (int round = 0; round < 500; round++) {
      String last = random.nextBoolean() ? null : "t" + random.nextInt(4);
      String now = random.nextInt(5) == 0 ? null : "t" + random.nextInt(4);
      Map<String, String> annotations = new HashMap<>();
      if (now != null) {
        annotations.put(OnDemand.RESTORE_TEST_NOW, now);
      }
      Optional<OnDemand.Request> pending = OnDemand.pendingRestoreTest(annotations, last != null ? handled(last) : null);
      assertThat(pending.isPresent()).as("last %s, now %s", last, now).isEqualTo(now != null && !now.equals(last));
    }
  }

  @Test
  void statusWritesDoNotReconcileButSpecAndAnnotationChangesDo() {
    var filter = new SpecOrAnnotationsChanged();
    BackupPolicy old = policy(1L, Map.of());
    assertThat(filter.accept(policy(1L, Map.of()), old)).as("a status write").isFalse();
    assertThat(filter.accept(policy(2L, Map.of()), old)).as("a spec change").isTrue();
    assertThat(filter.accept(policy(1L, Map.of(OnDemand.BACKUP_NOW, "t1")), old)).as("a request").isTrue();
    BackupPolicy deleting = policy(1L, Map.of());
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    assertThat(filter.accept(deleting, old)).isTrue();
    BackupPolicy finalized = policy(1L, Map.of());
    finalized.getMetadata().setFinalizers(List.of("backuppolicies.databaseunit.dev/finalizer"));
    assertThat(filter.accept(finalized, old)).isTrue();
  }

  private static BackupPolicy policy(long generation, Map<String, String> annotations) {
    var p = new BackupPolicy();
    p.getMetadata().setName("p");
    p.getMetadata().setGeneration(generation);
    p.getMetadata().setAnnotations(new HashMap<>(annotations));
    return p;
  }
}
