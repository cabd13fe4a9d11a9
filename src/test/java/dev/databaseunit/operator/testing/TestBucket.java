package dev.databaseunit.operator.testing;

import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A fresh bucket on the local S3-compatible server (s3proxy), emptied and deleted after the test. s3proxy's
 * filesystem backend takes seconds per DeleteObject, so the clean-up runs on a background thread while the next
 * tests run (each bucket has its own name). At exit the JVM waits for it at most 20 s, within the 30 s Maven
 * gives a finished test JVM; a bucket left behind is only a directory under the test server's data.
 */
public final class TestBucket implements AutoCloseable {
  private static final ExecutorService CLEANUP = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon()
      .name("test-bucket-cleanup").factory());

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      CLEANUP.shutdown();
      try {
        CLEANUP.awaitTermination(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
  }

  private final LocalServices services;
  private final String name;
  private final S3Client client;

  TestBucket(LocalServices services) {
    this.services = services;
    this.name = "du-test-" + UUID.randomUUID().toString().substring(0, 13);
    this.client = services.s3Client();
    client.createBucket(b -> b.bucket(name));
  }

  public String name() {
    return name;
  }

  public String endpoint() {
    return services.s3Endpoint();
  }

  public String accessKey() {
    return services.s3AccessKey();
  }

  public String secretKey() {
    return services.s3SecretKey();
  }

  public S3Client client() {
    return client;
  }

  @Override
  public void close() {
    CLEANUP.execute(this::emptyAndDelete);
  }

  private void emptyAndDelete() {
    try {
      // One DeleteObject per key: s3proxy rejects the checksum header the SDK puts on multi-object delete.
      for (var object : client.listObjectsV2Paginator(b -> b.bucket(name)).contents()) {
        client.deleteObject(b -> b.bucket(name).key(object.key()));
      }
      client.deleteBucket(b -> b.bucket(name));
    } finally {
      client.close();
    }
  }
}
