package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ObjectStore;
import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.BackupSource;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.backup.BackupPlanner.Action;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.MutableClock;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retention and key rotation after a backup, over the primary storage and the copies, in memory: copies follow the
 * primaries, a backup being read is kept, and a housekeeping failure leaves the backup standing and retries only itself.
 */
class BackupHousekeepingTest {
  private static final Instant NOW = Instant.parse("2026-12-01T06:00:00Z");
  private final MutableClock clock = new MutableClock(NOW);
  private final InMemoryObjectStore primary = new InMemoryObjectStore("primary");
  private final InMemoryObjectStore secondary = new InMemoryObjectStore("secondary");
  private final BackupsInUse inUse = new BackupsInUse();
  private final BackupWork work = new BackupWork(null, null,
      (storage, credentials) -> storage.bucket().equals("primary") ? primary : secondary, clock, inUse);
  private final KeyEncryptionKey current = key();
  private final KeyEncryptionKey previous = key();

  @Test
  void copiesExpireWithTheSameRetentionAsTheirPrimaries() throws Exception {
    var old = manifest("daily-20261001T030000Z-0001", NOW.minus(Duration.ofDays(40)), current);
    var recent = manifest("daily-20261130T030000Z-0002", NOW.minus(Duration.ofDays(1)), current);
    for (var store : List.of(primary, secondary)) {
      var catalog = catalog(store);
      catalog.writeManifest(old);
      catalog.writeManifest(recent);
    }

    var outcome = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of())).call();

    assertThat(outcome.housekeeping().problem()).isNull();
    assertThat(outcome.housekeeping().expired()).containsExactly(old.backupId());
    assertThat(outcome.housekeeping().expiredCopies()).containsExactly(old.backupId());
    assertThat(catalog(secondary).list()).extracting(BackupManifest::backupId).containsExactly(recent.backupId());
  }

  @Test
  void copiesAreRewrappedWithTheCurrentKeyAndStrandedCopiesKeepTheOldKeyNeeded() throws Exception {
    var copy = manifest("weekly-20261129T030000Z-0003", NOW.minus(Duration.ofDays(2)), previous);
    catalog(secondary).writeManifest(copy);

    var stranded = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of())).call();
    var draft = PolicyDraft.of(null);
    BackupReducer.reduce(draft, stranded, policy().getSpec(), NOW);
    assertThat(draft.workFailure.reason()).isEqualTo(EventReason.BackupKeyStillNeeded);
    assertThat(draft.workFailure.getMessage()).contains("1 copies in the secondary storage", previous.fingerprint());

    var rotated = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of(previous))).call();
    assertThat(rotated.housekeeping().copyRotation().rewrapped()).containsExactly(copy.backupId());
    assertThat(catalog(secondary).list().getFirst().encryption().keyFingerprint()).isEqualTo(current.fingerprint());
    BackupReducer.reduce(draft, rotated, policy().getSpec(), NOW);
    assertThat(draft.workFailure).isNull();
  }

  @Test
  void aBackupHeldByABootstrapOrRestoreTestIsNotExpired() throws Exception {
    var old = manifest("daily-20261001T030000Z-0001", NOW.minus(Duration.ofDays(40)), current);
    catalog(primary).writeManifest(old);
    catalog(primary).writeManifest(manifest("daily-20261130T030000Z-0002", NOW.minus(Duration.ofDays(1)), current));

    try (var hold = inUse.hold(old.backupId())) {
      var kept = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of())).call();
      assertThat(kept.housekeeping().expired()).isEmpty();
    }
    var expired = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of())).call();
    assertThat(expired.housekeeping().expired()).containsExactly(old.backupId());
  }

  /**
   * The case: rotation fails (or a manifest is unreadable) after the backup's manifest was written. The backup
   * stands, its fire is handled, the policy is Degraded with its own reason, and only the housekeeping runs again.
   */
  @Test
  void aHousekeepingFailureAfterTheManifestHandlesTheFireAndRetriesOnlyTheHousekeeping() throws Exception {
    var written = manifest("daily-20261201T030000Z-0004", NOW, previous);
    catalog(primary).writeManifest(written);
    primary.failWrites(key -> key.endsWith(BackupManifest.FILE_NAME));
    var spec = policy().getSpec();
    var draft = PolicyDraft.of(null);
    Instant fire = Instant.parse("2026-12-01T03:00:00Z");
    var operation = new dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation(OperationKind.Backup, written.backupId(),
        dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationPhase.Housekeeping, NOW.toString(), Tier.DAILY,
        fire.toString(), null);
    draft.inProgress = operation;

    var outcome = work.recoverInterrupted(policy(), inputs(List.of(previous)), operation, phase -> {}).call();
    assertThat(outcome).isInstanceOf(BackupOutcome.BackedUp.class);
    Map<String, Instant> retryAt = new HashMap<>();
    var reduction = BackupReducer.reduce(draft, outcome, spec, NOW);
    retryAt.putAll(reduction.retryAt());

    assertThat(draft.tier(Tier.DAILY).lastFireTime).as("the fire is handled").isEqualTo(fire.toString());
    assertThat(draft.lastBackup.id()).isEqualTo(written.backupId());
    var degraded = BackupReducer.conditions(draft, null, spec).stream().filter(c -> c.type().equals(Conditions.DEGRADED))
        .findFirst().orElseThrow();
    assertThat(degraded.reason()).isEqualTo(EventReason.BackupHousekeepingFailed.name());
    assertThat(degraded.message()).contains("injected failure", "the backups stand");

    var tooEarly = BackupPlanner.plan(spec, Map.of(), NOW.minus(Duration.ofDays(1)).toString(), draft, NOW.plusSeconds(30), retryAt::get);
    assertThat(tooEarly.action()).isInstanceOf(Action.Idle.class);
    assertThat(tooEarly.sleep()).isLessThanOrEqualTo(Duration.ofSeconds(30));
    var retry = BackupPlanner.plan(spec, Map.of(), NOW.minus(Duration.ofDays(1)).toString(), draft, NOW.plus(Duration.ofMinutes(1)),
        retryAt::get);
    assertThat(retry.action()).isEqualTo(new Action.RunHousekeeping());

    primary.failWrites(key -> false);
    draft.inProgress = BackupPlanner.operation(retry.action(), NOW.plus(Duration.ofMinutes(1)));
    var healed = work.housekeeping(policy(), inputs(List.of(previous))).call();
    BackupReducer.reduce(draft, healed, spec, NOW.plus(Duration.ofMinutes(2)));
    assertThat(draft.workFailure).isNull();
    assertThat(catalog(primary).list().getFirst().encryption().keyFingerprint()).isEqualTo(current.fingerprint());
  }

  @Test
  void anUnreadableManifestIsAHousekeepingProblemNotAFailedBackup() throws Exception {
    catalog(primary).writeManifest(manifest("daily-20261201T030000Z-0005", NOW, current));
    primary.put("recipes/daily-20261130T030000Z-0006/" + BackupManifest.FILE_NAME, "{not json".getBytes(StandardCharsets.UTF_8));

    var outcome = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of())).call();

    assertThat(outcome.housekeeping().problem()).contains("memory://primary");
  }

  @Test
  void restoreTestsAlternateBetweenPrimaryAndCopyWhenThereIsASecondaryStorage() {
    var spec = policy().getSpec();
    assertThat(BackupPlanner.restoreSource(spec, null)).isEqualTo(BackupSource.Primary);
    assertThat(BackupPlanner.restoreSource(spec, report(BackupSource.Primary))).isEqualTo(BackupSource.Copy);
    assertThat(BackupPlanner.restoreSource(spec, report(BackupSource.Copy))).isEqualTo(BackupSource.Primary);
    var withoutCopies = new BackupPolicySpec(spec.databaseUnit(), spec.schedules(), spec.storage(), null, spec.encryption(),
        spec.pointInTimeRecovery(), spec.restoreTest(), spec.logicalDump(), spec.suspend());
    assertThat(BackupPlanner.restoreSource(withoutCopies, report(BackupSource.Primary))).isEqualTo(BackupSource.Primary);
  }

  private static dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.RestoreTestReport report(BackupSource source) {
    return new dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.RestoreTestReport("daily-x", source, null, null, "Passed",
        1.0, true, 1.0, true, List.of());
  }

  private BackupCatalog catalog(ObjectStore store) {
    return new BackupCatalog(store, store == primary ? "recipes/" : "dr/");
  }

  private PolicyInputs inputs(List<KeyEncryptionKey> previousKeys) {
    var spec = policy().getSpec();
    return new PolicyInputs(null, null, current, previousKeys, spec.storage(), null, spec.secondaryStorage(), null);
  }

  private static BackupPolicy policy() {
    var policy = new BackupPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withNamespace("ns").withName("recipes-backups").build());
    policy.setSpec(new BackupPolicySpec("recipes",
        List.of(new BackupPolicySpec.BackupSchedule(Tier.DAILY, "0 0 3 * * ?", "UTC", "1h", "30d", false),
            new BackupPolicySpec.BackupSchedule(Tier.WEEKLY, "0 0 3 ? * SUN", "UTC", "1h", "84d", true)),
        new BackupPolicySpec.ObjectStorage("primary", "recipes/", null, "us-east-1", true, null, null),
        new BackupPolicySpec.ObjectStorage("secondary", "dr/", null, "eu-west-1", true, null, null),
        new BackupPolicySpec.Encryption(new SecretKeyRef("kek", "kek"), "kek-now", null),
        new BackupPolicySpec.PointInTimeRecovery(false, "7d"),
        new BackupPolicySpec.RestoreTest(false, null, null, null, null, "4h", "24h", null), null, false));
    return policy;
  }

  private static BackupManifest manifest(String id, Instant end, KeyEncryptionKey kek) {
    return ManifestMac.sign(unsignedManifest(id, end, kek, BackupManifest.FORMAT_VERSION), kek);
  }

  private static BackupManifest unsignedManifest(String id, Instant end, KeyEncryptionKey kek, int formatVersion) {
    return new BackupManifest(formatVersion, id, Tier.valueOf(id.substring(0, id.indexOf('-')).toUpperCase()),
        "ns/recipes", end.minusSeconds(60), end, "recipes", "15", "0/0", "recipes/" + id + "/" + BackupManifest.OBJECT_NAME,
        "pg_dump custom format", 1, 1, "00", new BackupManifest.EncryptionInfo("AES-256-GCM, chunked v1", ChunkedGcm.DEFAULT_CHUNK_SIZE,
            "k", kek.fingerprint(), Base64.getEncoder().encodeToString(kek.wrap(KeyEncryptionKey.newDataKey()))), List.of(), null);
  }

  private static KeyEncryptionKey key() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return KeyEncryptionKey.fromBase64(Base64.getEncoder().encodeToString(raw));
  }

  /** Nothing implements point-in-time recovery yet: it is off by default, and asking for it is answered, not ignored. */
  @Test
  void pointInTimeRecoveryIsOffByDefaultAndReportedAsNotImplementedWhenAskedFor() throws Exception {
    String crd = java.nio.file.Files.readString(java.nio.file.Path.of("crds/backuppolicies.databaseunit.dev-v1.yml"));
    String pitr = crd.substring(crd.indexOf("pointInTimeRecovery:"));
    assertThat(pitr.substring(0, pitr.indexOf("retention:"))).contains("default: false").doesNotContain("default: true");
    assertThat(BackupReducer.conditions(PolicyDraft.of(null), null, policy().getSpec()))
        .noneMatch(c -> c.type().equals(BackupReducer.POINT_IN_TIME_RECOVERY));

    var spec = policy().getSpec();
    var asking = new BackupPolicySpec(spec.databaseUnit(), spec.schedules(), spec.storage(), spec.secondaryStorage(), spec.encryption(),
        new BackupPolicySpec.PointInTimeRecovery(true, "7d"), spec.restoreTest(), spec.logicalDump(), spec.suspend());
    assertThat(BackupReducer.conditions(PolicyDraft.of(null), null, asking))
        .filteredOn(c -> c.type().equals(BackupReducer.POINT_IN_TIME_RECOVERY)).singleElement()
        .satisfies(c -> {
          assertThat(c.status()).isFalse();
          assertThat(c.reason()).isEqualTo("NotImplemented");
        });
  }

  /**
   * Manifests are authenticated: a MAC keyed from the KEK covers every field, so a change by someone without the key
   * (row counts, sha256, object key, the wrapped data key) or a removed MAC is found; manifests written before (format
   * 1, no MAC) stay readable, are reported unauthenticated, and get a MAC at the next housekeeping.
   */
  @Test
  void manifestsAreAuthenticatedAndOldOnesStayReadableUntilTheyGetAMac() throws Exception {
    var signed = manifest("daily-20261201T030000Z-0007", NOW, current);
    assertThat(ManifestMac.verify(signed, current)).isEqualTo(ManifestMac.Authenticity.AUTHENTICATED);
    var moreRows = new BackupManifest(signed.formatVersion(), signed.backupId(), signed.tier(), signed.databaseUnit(), signed.startTime(),
        signed.endTime(), signed.database(), signed.serverVersion(), signed.walLsn(), signed.objectKey(), signed.compression(),
        signed.dumpBytes(), signed.storedBytes() + 1, signed.sha256(), signed.encryption(), signed.tables(), signed.mac());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupReader.dataKey(moreRows, current))
        .isInstanceOf(ChunkedGcm.TamperedException.class).hasMessageContaining("fails authentication");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupReader.dataKey(signed.withMac(null), current))
        .isInstanceOf(ChunkedGcm.TamperedException.class).hasMessageContaining("it was removed");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ManifestMac.verify(signed, previous))
        .isInstanceOf(ChunkedGcm.TamperedException.class);

    var legacy = unsignedManifest("daily-20261130T030000Z-0008", NOW.minus(Duration.ofDays(1)), current, 1);
    assertThat(ManifestMac.verify(legacy, current)).isEqualTo(ManifestMac.Authenticity.UNAUTHENTICATED);
    BackupReader.dataKey(legacy, current);
    catalog(primary).writeManifest(legacy);
    var housekept = (BackupOutcome.Housekept) work.housekeeping(policy(), inputs(List.of())).call();
    assertThat(housekept.housekeeping().rotation().authenticated()).containsExactly(legacy.backupId());
    var now = catalog(primary).list().getFirst();
    assertThat(ManifestMac.verify(now, current)).isEqualTo(ManifestMac.Authenticity.AUTHENTICATED);
    assertThat(now.withMac(null)).isEqualTo(legacy);
  }
}
