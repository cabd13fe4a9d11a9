package dev.databaseunit.operator.backup;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.storage.KeyEncryptionKey;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Policies sharing a bucket: each sees, expires and removes only its own backups. */
class BackupCatalogTest {
  private final InMemoryObjectStore bucket = new InMemoryObjectStore("shared");

  @Test
  void aPolicyAtTheBucketRootNeverListsOrRemovesAnotherPolicysBackups() throws Exception {
    var other = new BackupCatalog(bucket, "team-b/orders-backups/");
    String id = BackupCatalog.newBackupId(Tier.DAILY, Instant.parse("2026-12-01T03:00:00Z"));
    bucket.put(other.objectKey(id), "ciphertext".getBytes(StandardCharsets.UTF_8));
    other.writeManifest(manifest(id, other.objectKey(id)));
    String unfinished = BackupCatalog.newBackupId(Tier.DAILY, Instant.parse("2026-12-01T04:00:00Z"));
    bucket.put(other.objectKey(unfinished), "being written".getBytes(StandardCharsets.UTF_8));

    var root = new BackupCatalog(bucket, "");
    assertThat(root.list()).isEmpty();
    assertThat(root.removeIncomplete(Set.of())).isEmpty();
    var parent = new BackupCatalog(bucket, "team-b/");
    assertThat(parent.list()).isEmpty();
    assertThat(parent.removeIncomplete(Set.of())).isEmpty();

    assertThat(bucket.objects()).containsKeys(other.objectKey(id), other.objectKey(unfinished));
    assertThat(other.list()).extracting(BackupManifest::backupId).containsExactly(id);
  }

  @Test
  void theDefaultPrefixIsTheNamespaceAndNameOfThePolicy() {
    var policy = new BackupPolicy();
    policy.setMetadata(new ObjectMetaBuilder().withNamespace("team-a").withName("recipes-backups").build());
    var unset = new BackupPolicySpec.ObjectStorage("shared", null, null, "us-east-1", true, null, null);
    var explicit = new BackupPolicySpec.ObjectStorage("shared", "custom/", null, "us-east-1", true, null, null);

    assertThat(PolicyInputs.storage(policy, unset).prefix()).isEqualTo("team-a/recipes-backups/");
    assertThat(PolicyInputs.storage(policy, explicit).prefix()).isEqualTo("custom/");
    assertThat(PolicyInputs.storage(policy, null)).isNull();
  }

  @Test
  void aCopyWhoseSourceFailsMidwayLeavesNothingAtTheTarget() throws Exception {
    var primary = new BackupCatalog(bucket, "eu-west-1/");
    var secondaryBucket = new InMemoryObjectStore("secondary");
    String id = BackupCatalog.newBackupId(Tier.DAILY, Instant.parse("2026-12-01T03:00:00Z"));
    bucket.put(primary.objectKey(id), new byte[100_000]);
    bucket.failReadsAfter(40_000);
    var kek = KeyEncryptionKey.fromBase64(Base64.getEncoder().encodeToString(new byte[32]));

    assertThatThrownBy(() -> primary.copyTo(new BackupCatalog(secondaryBucket, "us-east-1/"), manifest(id, primary.objectKey(id)), kek))
        .isInstanceOf(IOException.class).hasMessageContaining("injected failure");
    assertThat(secondaryBucket.objects()).isEmpty();
  }

  private static BackupManifest manifest(String id, String objectKey) {
    return new BackupManifest(BackupManifest.FORMAT_VERSION, id, Tier.DAILY, "team-b/orders", Instant.EPOCH, Instant.EPOCH, "orders",
        "15", "0/0", objectKey, "pg_dump custom format", 1, 1, "00",
        new BackupManifest.EncryptionInfo("AES-256-GCM, chunked v1", 1, "k", "f", "w"), List.of(), null);
  }
}
