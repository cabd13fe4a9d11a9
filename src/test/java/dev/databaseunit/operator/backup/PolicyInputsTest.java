package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.S3ObjectStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.ObjectStorage;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The operator's own S3 identity is used only when a storage asks for it; endpoints follow the admin's allow-list. */
class PolicyInputsTest {
  private static final ObjectStorage NO_CREDENTIALS = new ObjectStorage("team-b-bucket", "x/", null, "us-east-1", true, null, null);

  @Test
  void aStorageWithoutCredentialsDoesNotFallBackToTheOperatorsIdentity() {
    assertThatThrownBy(() -> PolicyInputs.credentials((ns, name) -> Optional.empty(), "ns", NO_CREDENTIALS, "spec.storage",
        EgressPolicy.DEFAULT))
        .isInstanceOf(UnitProblem.class)
        .satisfies(e -> assertThat(((UnitProblem) e).reason()).isEqualTo(EventReason.StorageCredentialsMissing))
        .hasMessageContaining("workloadIdentity: true");
    assertThatThrownBy(() -> S3ObjectStore.connect(NO_CREDENTIALS, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void workloadIdentityIsUsedWhenTheStorageAsksForIt() throws Exception {
    var explicit = new ObjectStorage("bucket", "x/", null, "us-east-1", true, null, true);
    assertThat(PolicyInputs.credentials((ns, name) -> Optional.empty(), "ns", explicit, "spec.storage", EgressPolicy.DEFAULT)).isNull();
  }

  @Test
  void anEndpointOffTheAllowListIsRefusedBeforeAnySecretIsRead() {
    var lists = new EgressPolicy(false, true, List.of(), List.of("minio.storage.svc"), List.of());
    var elsewhere = new ObjectStorage("bucket", "x/", "https://collector.example", "us-east-1", true, null, true);
    assertThatThrownBy(() -> PolicyInputs.credentials((ns, name) -> {
      throw new AssertionError("no Secret is read for a refused endpoint");
    }, "ns", elsewhere, "spec.storage", lists))
        .isInstanceOf(UnitProblem.class)
        .satisfies(e -> assertThat(((UnitProblem) e).reason()).isEqualTo(EventReason.TargetNotAllowed));
  }
}
