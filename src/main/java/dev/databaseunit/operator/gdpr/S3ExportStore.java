package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.backup.ObjectStore;
import dev.databaseunit.operator.backup.S3ObjectStore;
import java.io.IOException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Exports on an S3-compatible store, through the backups' {@link S3ObjectStore}: a multipart upload in constant
 * memory however large the subject's data is, and an aborted upload leaves no object.
 */
public final class S3ExportStore implements ExportStore {
  private final S3ObjectStore store;
  private final String bucket;
  private final String prefix;

  /** @param accessKeyId null to use the default credentials chain (workload identity) */
  public S3ExportStore(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey) {
    this.store = S3ObjectStore.connect(storage,
        accessKeyId != null ? AwsBasicCredentials.create(accessKeyId, secretAccessKey) : null);
    this.bucket = storage.bucket();
    this.prefix = storage.prefix() != null ? storage.prefix() : "";
  }

  @Override
  public Upload upload(String key) throws IOException {
    ObjectStore.Upload upload = store.create(prefix + key);
    return new Upload() {
      @Override
      public void write(int b) throws IOException {
        upload.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        upload.write(b, off, len);
      }

      /** Closing the object store's upload is what completes it. */
      @Override
      public void complete() throws IOException {
        upload.close();
      }

      @Override
      public void abort() {
        upload.abort();
      }
    };
  }

  @Override
  public void delete(String key) throws IOException {
    store.delete(prefix + key);
  }

  @Override
  public String location(String key) {
    return "s3://" + bucket + "/" + prefix + key;
  }

  @Override
  public void close() {
    store.close();
  }
}
