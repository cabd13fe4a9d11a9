package dev.databaseunit.operator.storage;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
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
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * S3 or an S3-compatible server (MinIO, s3proxy, Ceph) through the AWS SDK v2. Uploads are multipart, several parts in
 * flight while the next fills, so a backup is not stalled by one request's round trip and memory stays at a few parts
 * whatever the size of the database.
 */
public final class S3ObjectStore implements ObjectStore {
  /** S3 allows 10,000 parts of at least 5 MiB: 16 MiB parts reach 160 GB per backup. */
  static final int PART_SIZE = 16 << 20;
  /** Three parts in flight keep the link busy through each part's round trip; with the one filling, 64 MiB of buffers. */
  static final int PARTS_IN_FLIGHT = 3;

  private final S3Client client;
  private final String bucket;
  private final String description;
  private final ExecutorService uploader = Executors.newVirtualThreadPerTaskExecutor();

  public S3ObjectStore(S3Client client, String bucket, String description) {
    this.client = client;
    this.bucket = bucket;
    this.description = description;
  }

  /**
   * A BackupPolicy's storage; null credentials mean the SDK's default chain (the operator's workload identity), which
   * the storage must ask for explicitly.
   */
  public static S3ObjectStore connect(BackupPolicySpec.ObjectStorage storage, AwsBasicCredentials credentials) {
    if (credentials == null && !Boolean.TRUE.equals(storage.workloadIdentity())) {
      throw new IllegalArgumentException("storage " + storage.bucket() + " names no credentials and does not ask for workloadIdentity");
    }
    return connect(storage.endpoint(), storage.region() != null ? storage.region() : "us-east-1",
        !Boolean.FALSE.equals(storage.pathStyle()), storage.bucket(), credentials);
  }

  /**
   * @param credentials static keys from a Secret, or null for the SDK's default chain (workload identity)
   */
  public static S3ObjectStore connect(String endpoint, String region, boolean pathStyle, String bucket,
      AwsBasicCredentials credentials) {
    AwsCredentialsProvider provider = credentials != null
        ? StaticCredentialsProvider.create(credentials)
        : DefaultCredentialsProvider.builder().build();
    var builder = S3Client.builder()
        .region(Region.of(region))
        .forcePathStyle(pathStyle)
        // Most S3-compatible servers reject the SDK's default trailing checksums; our own sha256 covers integrity.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        // Every call is bounded, retries included: a store that accepts connections and never answers fails the work.
        .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofMinutes(2)).apiCallTimeout(Duration.ofMinutes(10)))
        .credentialsProvider(provider);
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint));
    }
    return new S3ObjectStore(builder.build(), bucket, (endpoint != null ? endpoint : "s3." + region) + "/" + bucket);
  }

  @Override
  public Upload create(String key) throws IOException {
    try {
      String uploadId = client.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
      return new MultipartUpload(key, uploadId);
    } catch (SdkException e) {
      throw failure("start an upload of " + key, e);
    }
  }

  /**
   * Parts go up {@link #PARTS_IN_FLIGHT} at a time while the next fills; their buffers are recycled, so an upload holds
   * at most one more part than are in flight.
   */
  private final class MultipartUpload extends Upload {
    private final String key;
    private final String uploadId;
    private final List<CompletedPart> parts = new ArrayList<>();
    private final List<Future<?>> sent = new ArrayList<>();
    private final Semaphore inFlight = new Semaphore(PARTS_IN_FLIGHT);
    private final BlockBuffer buffer = new BlockBuffer(PART_SIZE, this::send);
    private boolean done;
    private boolean aborted;

    MultipartUpload(String key, String uploadId) {
      this.key = key;
      this.uploadId = uploadId;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (done) {
        throw new IOException("the upload of " + key + " is " + (aborted ? "aborted" : "complete"));
      }
      buffer.write(b, off, len);
    }

    private void send(byte[] part, int length) throws IOException {
      try {
        inFlight.acquire();
      } catch (InterruptedException e) {
        // Operator shutdown: give up now rather than after the parts in flight; the caller aborts the upload.
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("upload of " + key + " interrupted");
      }
      int number;
      synchronized (parts) {
        parts.add(null);
        number = parts.size();
      }
      sent.add(uploader.submit(() -> {
        try {
          String etag = client.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
              RequestBody.fromInputStream(new ByteArrayInputStream(part, 0, length), length)).eTag();
          synchronized (parts) {
            parts.set(number - 1, CompletedPart.builder().partNumber(number).eTag(etag).build());
          }
        } finally {
          buffer.recycle(part);
          inFlight.release();
        }
        return null;
      }));
      // A part that failed fails the upload at the next part rather than at the end.
      for (var i = sent.iterator(); i.hasNext(); ) {
        Future<?> f = i.next();
        if (f.isDone()) {
          awaitPart(f);
          i.remove();
        }
      }
    }

    private void awaitPart(Future<?> part) throws IOException {
      try {
        part.get();
      } catch (ExecutionException e) {
        abort();
        throw failure("upload a part of " + key, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("upload of " + key + " interrupted");
      }
    }

    @Override
    public void close() throws IOException {
      if (done) {
        return;
      }
      boolean none;
      synchronized (parts) {
        none = parts.isEmpty();
      }
      if (!buffer.drain() && none) {
        send(new byte[0], 0);
      }
      for (Future<?> part : sent) {
        awaitPart(part);
      }
      done = true;
      try {
        List<CompletedPart> completed;
        synchronized (parts) {
          completed = List.copyOf(parts);
        }
        client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
            .multipartUpload(m -> m.parts(completed)));
      } catch (SdkException e) {
        abort();
        throw failure("complete the upload of " + key, e);
      }
    }

    @Override
    public void abort() {
      done = true;
      if (aborted) {
        return;
      }
      aborted = true;
      // An interrupted thread (operator shutdown) must still clean up: the SDK refuses to start a call otherwise.
      boolean interrupted = Thread.interrupted();
      // Parts in flight are awaited (each is bounded by the call timeout), so none lands after the abort; a further
      // interrupt does not cut the wait short, or a part could complete after it and hold storage nobody aborts.
      for (Future<?> part : sent) {
        while (true) {
          try {
            part.get();
            break;
          } catch (ExecutionException e) {
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      }
      try {
        client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
      } catch (SdkException e) {
        // The store is unreachable: BackupCatalog.removeIncomplete aborts the upload on the next run.
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    try {
      client.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"), RequestBody.fromBytes(content));
    } catch (SdkException e) {
      throw failure("write " + key, e);
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    try {
      return client.getObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw failure("read " + key, e);
    }
  }

  @Override
  public byte[] get(String key) throws IOException {
    try {
      return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    } catch (NoSuchKeyException e) {
      throw new java.io.FileNotFoundException(describe() + "/" + key + " does not exist");
    } catch (SdkException e) {
      throw failure("read " + key, e);
    }
  }

  @Override
  public List<StoredObject> list(String prefix) throws IOException {
    try {
      List<StoredObject> objects = new ArrayList<>();
      for (var o : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
        objects.add(new StoredObject(o.key(), o.size(), o.lastModified()));
      }
      return objects;
    } catch (SdkException e) {
      throw failure("list " + prefix, e);
    }
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      // One DeleteObject per key: several S3-compatible servers reject multi-object delete's checksum header.
      client.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw failure("delete " + key, e);
    }
  }

  @Override
  public List<String> unfinishedUploads(String prefix) throws IOException {
    try {
      List<String> keys = new ArrayList<>();
      for (var upload : client.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
        keys.add(upload.key());
      }
      return keys;
    } catch (SdkException e) {
      throw failure("list unfinished uploads under " + prefix, e);
    }
  }

  @Override
  public void abortUnfinishedUploads(String prefix) throws IOException {
    try {
      for (var upload : client.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
        try {
          client.abortMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
          // Aborted meanwhile (e.g. by the interrupted backup's own cleanup, finishing late): gone, as wanted.
          if (e.statusCode() != 404) {
            throw e;
          }
        }
      }
    } catch (SdkException e) {
      throw failure("abort unfinished uploads under " + prefix, e);
    }
  }

  private IOException failure(String what, Throwable cause) {
    return new IOException("Cannot " + what + " at " + describe() + ": " + cause.getMessage(), cause);
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    uploader.close();
    client.close();
  }
}
