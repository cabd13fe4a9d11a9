package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.KeyEncryptionKey;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Everything a backup or restore test needs, resolved from the policy's unit and Secrets; the key and credential
 * resolution is shared with the bootstrap, which reads a policy's backups too.
 *
 * @param scratchServer where restore tests create their scratch database: the unit's server or spec.restoreTest.scratchInstance
 */
public record PolicyInputs(PostgresTarget target, PostgresTarget scratchServer, KeyEncryptionKey kek, List<KeyEncryptionKey> previousKeys,
    BackupPolicySpec.ObjectStorage storage, AwsBasicCredentials credentials, BackupPolicySpec.ObjectStorage secondary,
    AwsBasicCredentials secondaryCredentials) {

  static final String DEFAULT_ACCESS_KEY_ID_KEY = "accessKeyId";
  static final String DEFAULT_SECRET_ACCESS_KEY_KEY = "secretAccessKey";

  static PolicyInputs resolve(BackupPolicy policy, Optional<DatabaseUnit> unit, PostgresTargets.SecretLookup lookup,
      EgressPolicy egress) throws UnitProblem {
    String namespace = policy.getMetadata().getNamespace();
    var spec = policy.getSpec();
    PostgresTarget target = PostgresTargets.resolve(unit.orElseThrow(() -> new UnitProblem(EventReason.BackupUnitNotFound,
        "DatabaseUnit " + namespace + "/" + spec.databaseUnit() + " does not exist")), lookup);
    List<KeyEncryptionKey> keys = keys(lookup, namespace, spec.encryption());
    var scratch = spec.restoreTest() != null ? spec.restoreTest().scratchInstance() : null;
    PostgresTarget scratchServer = scratch != null ? PostgresTargets.external(scratch, namespace, lookup) : target;
    if (scratch != null) {
      egress.checkScratchInstance(scratch.host());
    }
    return new PolicyInputs(target, scratchServer, keys.getFirst(), keys.subList(1, keys.size()), storage(policy, spec.storage()),
        credentials(lookup, namespace, spec.storage(), "spec.storage", egress), storage(policy, spec.secondaryStorage()),
        spec.secondaryStorage() != null
            ? credentials(lookup, namespace, spec.secondaryStorage(), "spec.secondaryStorage", egress) : null);
  }

  /** A storage of the policy with its prefix in force: the spec's, or {@code <namespace>/<name>/} when it names none. */
  public static BackupPolicySpec.ObjectStorage storage(BackupPolicy policy, BackupPolicySpec.ObjectStorage storage) {
    if (storage == null || storage.prefix() != null) {
      return storage;
    }
    return new BackupPolicySpec.ObjectStorage(storage.bucket(), policy.getMetadata().getNamespace() + "/"
        + policy.getMetadata().getName() + "/", storage.endpoint(), storage.region(), storage.pathStyle(), storage.credentials(),
        storage.workloadIdentity());
  }

  /** The current key-encryption key first, then the previous ones, in spec order. */
  public static List<KeyEncryptionKey> keys(PostgresTargets.SecretLookup lookup, String namespace, BackupPolicySpec.Encryption encryption)
      throws UnitProblem {
    List<KeyEncryptionKey> keys = new ArrayList<>();
    keys.add(kek(lookup, namespace, encryption.keyEncryptionKey()));
    for (SecretKeyRef ref : encryption.previousKeys() != null ? encryption.previousKeys() : List.<SecretKeyRef>of()) {
      keys.add(kek(lookup, namespace, ref));
    }
    return List.copyOf(keys);
  }

  /** A key-encryption key from a Secret: 32 bytes, base64. */
  public static KeyEncryptionKey kek(PostgresTargets.SecretLookup lookup, String namespace, SecretKeyRef ref) throws UnitProblem {
    try {
      return KeyEncryptionKey.fromBase64(PostgresTargets.value(lookup, namespace, ref));
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.BackupKeyInvalid, "The key-encryption key " + ref.key() + " in Secret " + namespace + "/"
          + ref.name() + " is unusable: " + e.getMessage());
    }
  }

  /**
   * The S3 credentials a storage names, or null when it asks for the operator's own identity (workloadIdentity: true,
   * never implied); either way only once its endpoint is allowed.
   *
   * @param what how messages name the storage, e.g. spec.storage
   */
  public static AwsBasicCredentials credentials(PostgresTargets.SecretLookup lookup, String namespace,
      BackupPolicySpec.ObjectStorage storage, String what, EgressPolicy egress) throws UnitProblem {
    egress.checkS3(what, storage.endpoint(), storage.region() != null ? storage.region() : "us-east-1");
    var ref = storage.credentials();
    if (ref == null) {
      if (!Boolean.TRUE.equals(storage.workloadIdentity())) {
        throw new UnitProblem(EventReason.StorageCredentialsMissing, what + " (bucket " + storage.bucket() + ") names no "
            + "credentials: set credentials, or workloadIdentity: true to use the operator's own cloud identity");
      }
      return null;
    }
    return AwsBasicCredentials.create(
        PostgresTargets.value(lookup, namespace, new SecretKeyRef(ref.secretName(),
            ref.accessKeyIdKey() != null ? ref.accessKeyIdKey() : DEFAULT_ACCESS_KEY_ID_KEY)),
        PostgresTargets.value(lookup, namespace, new SecretKeyRef(ref.secretName(),
            ref.secretAccessKeyKey() != null ? ref.secretAccessKeyKey() : DEFAULT_SECRET_ACCESS_KEY_KEY)));
  }

  /** Every Secret a policy reads, so a change to one of them reconciles the policy. */
  static List<String> secretNames(BackupPolicySpec spec) {
    Stream<String> storage = Stream.of(spec.storage(), spec.secondaryStorage())
        .filter(s -> s != null && s.credentials() != null).map(s -> s.credentials().secretName());
    Stream<String> keys = spec.encryption() == null ? Stream.empty() : Stream.concat(Stream.of(spec.encryption().keyEncryptionKey()),
        spec.encryption().previousKeys() != null ? spec.encryption().previousKeys().stream() : Stream.empty()).map(SecretKeyRef::name);
    var scratch = spec.restoreTest() != null ? spec.restoreTest().scratchInstance() : null;
    Stream<String> scratchSecrets = scratch == null ? Stream.empty() : Stream.of(scratch.credentials().secretName(),
        scratch.tls() != null && scratch.tls().caSecret() != null ? scratch.tls().caSecret().name() : null);
    return Stream.of(storage, keys, scratchSecrets).flatMap(s -> s).filter(Objects::nonNull).distinct().toList();
  }
}
