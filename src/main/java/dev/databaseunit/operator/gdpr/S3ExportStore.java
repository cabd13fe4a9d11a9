package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Exports on an S3-compatible store, written as a multipart upload in parts of {@value #PART_SIZE} bytes: memory
 * stays at one part however large the subject's data is, and an aborted upload leaves no object.
 */
public final class S3ExportStore implements ExportStore {
  static final int PART_SIZE = 8 * 1024 * 1024;

  private final S3Client client;
  private final String bucket;
  private final String prefix;

  /** @param accessKeyId null to use the default credentials chain (workload identity) */
  public S3ExportStore(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey) {
    AwsCredentialsProvider credentials = accessKeyId != null
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey))
        : DefaultCredentialsProvider.builder().build();
    var builder = S3Client.builder()
        .region(Region.of(storage.region() != null ? storage.region() : "us-east-1"))
        .forcePathStyle(storage.pathStyle() == null || storage.pathStyle())
        // S3-compatible servers reject the SDK's default trailing checksums; send them only where S3 requires them.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(credentials);
    if (storage.endpoint() != null) {
      builder.endpointOverride(URI.create(storage.endpoint()));
    }
    this.client = builder.build();
    this.bucket = storage.bucket();
    this.prefix = storage.prefix() != null ? storage.prefix() : "";
  }

  @Override
  public Upload upload(String key) throws IOException {
    String fullKey = prefix + key;
    String uploadId = call(() -> client.createMultipartUpload(b -> b.bucket(bucket).key(fullKey)).uploadId());
    return new MultipartUpload(fullKey, uploadId);
  }

  @Override
  public void delete(String key) throws IOException {
    call(() -> client.deleteObject(b -> b.bucket(bucket).key(prefix + key)));
  }

  @Override
  public String location(String key) {
    return "s3://" + bucket + "/" + prefix + key;
  }

  @Override
  public void close() {
    client.close();
  }

  private final class MultipartUpload extends Upload {
    private final String key;
    private final String uploadId;
    private final byte[] buffer = new byte[PART_SIZE];
    private final List<CompletedPart> parts = new ArrayList<>();
    private int filled;

    MultipartUpload(String key, String uploadId) {
      this.key = key;
      this.uploadId = uploadId;
    }

    @Override
    public void write(int b) throws IOException {
      if (filled == buffer.length) {
        flushPart();
      }
      buffer[filled++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      while (length > 0) {
        if (filled == buffer.length) {
          flushPart();
        }
        int n = Math.min(length, buffer.length - filled);
        System.arraycopy(bytes, offset, buffer, filled, n);
        filled += n;
        offset += n;
        length -= n;
      }
    }

    private void flushPart() throws IOException {
      int number = parts.size() + 1;
      int length = filled;
      String etag = call(() -> client.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
          RequestBody.fromInputStream(new ByteArrayInputStream(buffer, 0, length), length)).eTag());
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
      filled = 0;
    }

    @Override
    public void complete() throws IOException {
      if (filled > 0 || parts.isEmpty()) {
        flushPart();
      }
      call(() -> client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
          .multipartUpload(m -> m.parts(parts))));
    }

    @Override
    public void abort() {
      try {
        client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
      } catch (SdkException e) {
        // The bucket's lifecycle rule for incomplete uploads is the backstop; the export is retried anyway.
      }
    }
  }

  private interface S3Call<T> {
    T run();
  }

  private static <T> T call(S3Call<T> call) throws IOException {
    try {
      return call.run();
    } catch (SdkException e) {
      throw new IOException("object storage: " + e.getMessage(), e);
    }
  }
}
