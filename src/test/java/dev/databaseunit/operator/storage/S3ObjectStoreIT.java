package dev.databaseunit.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/** Multipart uploads with several parts in flight, against the real S3-compatible server. */
@WithLocalServices
class S3ObjectStoreIT {
  private static S3ObjectStore store(TestBucket bucket) {
    return S3ObjectStore.connect(bucket.endpoint(), "us-east-1", true, bucket.name(),
        AwsBasicCredentials.create(bucket.accessKey(), bucket.secretKey()));
  }

  @Test
  void partsSentInParallelAssembleInOrder(TestBucket bucket) throws Exception {
    // More parts than are in flight at once, and a last partial one.
    long size = (S3ObjectStore.PARTS_IN_FLIGHT + 2L) * S3ObjectStore.PART_SIZE + 12_345;
    var random = new Random(11);
    var written = MessageDigest.getInstance("SHA-256");
    try (var store = store(bucket)) {
      try (var upload = store.create("big/object")) {
        byte[] block = new byte[1 << 20];
        for (long left = size; left > 0; ) {
          int n = (int) Math.min(left, 1 + random.nextInt(block.length));
          random.nextBytes(block);
          upload.write(block, 0, n);
          written.update(block, 0, n);
          left -= n;
        }
      }
      var read = MessageDigest.getInstance("SHA-256");
      long length = 0;
      try (InputStream in = store.open("big/object")) {
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          read.update(buffer, 0, n);
          length += n;
        }
      }
      assertThat(length).isEqualTo(size);
      assertThat(read.digest()).isEqualTo(written.digest());

      try (var empty = store.create("big/empty")) {
        // Nothing written: still one (empty) part, and an object of no bytes.
      }
      assertThat(store.get("big/empty")).isEmpty();
    }
  }

  @Test
  void anAbortWithPartsInFlightLeavesNeitherObjectNorUpload(TestBucket bucket) throws Exception {
    try (var store = store(bucket)) {
      var upload = store.create("aborted/object");
      byte[] block = new byte[S3ObjectStore.PART_SIZE / 2];
      new Random(5).nextBytes(block);
      for (int i = 0; i < 2 * S3ObjectStore.PARTS_IN_FLIGHT + 1; i++) {
        upload.write(block, 0, block.length);
      }
      upload.abort();
      upload.close();
      assertThatThrownBy(() -> upload.write(block, 0, 1)).hasMessageContaining("aborted");
      assertThat(store.list("aborted/")).isEmpty();
      assertThat(store.unfinishedUploads("aborted/")).isEmpty();
    }
  }
}
