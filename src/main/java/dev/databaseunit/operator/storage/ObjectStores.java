package dev.databaseunit.operator.storage;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/** Opens the object store a policy names (S3 in the operator); tests may open another. */
@FunctionalInterface
public interface ObjectStores {
  ObjectStore open(BackupPolicySpec.ObjectStorage storage, AwsBasicCredentials credentials);
}
