package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.storage.KeyEncryptionKey;
import dev.databaseunit.operator.backup.SealedUpload;
import dev.databaseunit.operator.storage.S3ObjectStore;
import java.io.IOException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Exports on an S3-compatible store, through the backups' {@link S3ObjectStore}: a multipart upload in constant
 * memory however large the subject's data is, and an aborted upload leaves no object. Exports are encrypted at rest
 * with the backup envelope ({@link SealedUpload}): {@code <key>.enc} bound to the key, and {@code <key>.manifest.json}
 * with the data key wrapped by the unit's export KEK, which {@code scripts/decrypt-backup.sh} opens.
 */
public final class S3ExportStore implements ExportStore {
  static final String OBJECT_SUFFIX = ".enc";
  static final String MANIFEST_SUFFIX = ".manifest.json";

  private final S3ObjectStore store;
  private final String bucket;
  private final String prefix;
  private final KeyEncryptionKey kek;

  /** @param accessKeyId null to use the default credentials chain (the storage says workloadIdentity: true) */
  public S3ExportStore(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey, KeyEncryptionKey kek) {
    this.store = S3ObjectStore.connect(storage,
        accessKeyId != null ? AwsBasicCredentials.create(accessKeyId, secretAccessKey) : null);
    this.bucket = storage.bucket();
    this.prefix = storage.prefix() != null ? storage.prefix() : "";
    this.kek = kek;
  }

  @Override
  public Upload upload(String key) throws IOException {
    SealedUpload sealed = SealedUpload.start(store, prefix + key + OBJECT_SUFFIX, prefix + key + MANIFEST_SUFFIX, key, kek);
    return new Upload() {
      @Override
      public void write(int b) throws IOException {
        sealed.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        sealed.write(b, off, len);
      }

      @Override
      public void complete() throws IOException {
        sealed.complete();
      }

      @Override
      public void abort() {
        sealed.abort();
      }
    };
  }

  @Override
  public void delete(String key) throws IOException {
    store.delete(prefix + key + MANIFEST_SUFFIX);
    store.delete(prefix + key + OBJECT_SUFFIX);
  }

  @Override
  public String location(String key) {
    return "s3://" + bucket + "/" + prefix + key + OBJECT_SUFFIX;
  }

  @Override
  public void close() {
    store.close();
  }
}
