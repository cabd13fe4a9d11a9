package dev.databaseunit.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

class ChunkedGcmTest {
  private final SecretKey key = KeyEncryptionKey.newDataKey();
  private final Random random = new Random(42);

  @Test
  void roundTripsAnySizeIncludingEmptyAndChunkBoundaries() throws IOException {
    for (int size : new int[] {0, 1, 15, 16, 17, 32, 1000, 4096, 65_537}) {
      for (int chunk : new int[] {1, 16, 1024, ChunkedGcm.DEFAULT_CHUNK_SIZE}) {
        byte[] plain = new byte[size];
        random.nextBytes(plain);
        assertThat(decrypt(encrypt(plain, chunk), key)).as("size %d chunk %d", size, chunk).isEqualTo(plain);
      }
    }
  }

  @Test
  void everySingleBitFlipIsDetected() throws IOException {
    byte[] plain = new byte[50];
    random.nextBytes(plain);
    byte[] sealed = encrypt(plain, 16);
    for (int i = 0; i < sealed.length; i++) {
      byte[] tampered = sealed.clone();
      tampered[i] ^= (byte) (1 << random.nextInt(8));
      assertThatThrownBy(() -> decrypt(tampered, key)).as("flip at %d", i).isInstanceOf(IOException.class);
    }
  }

  @Test
  void everyTruncationAndAppendedByteIsDetected() throws IOException {
    byte[] sealed = encrypt(new byte[40], 16);
    for (int length = 0; length < sealed.length; length++) {
      byte[] truncated = Arrays.copyOf(sealed, length);
      assertThatThrownBy(() -> decrypt(truncated, key)).as("length %d", length).isInstanceOf(ChunkedGcm.TamperedException.class);
    }
    assertThatThrownBy(() -> decrypt(Arrays.copyOf(sealed, sealed.length + 1), key))
        .isInstanceOf(ChunkedGcm.TamperedException.class).hasMessageContaining("follow the final chunk");
  }

  @Test
  void swappedChunksAndAnotherKeyAreDetected() throws IOException {
    byte[] sealed = encrypt(new byte[32], 16);
    int frame = 4 + 16 + ChunkedGcm.TAG_BYTES;
    byte[] swapped = sealed.clone();
    // Frames 0 and 1 are both full (the final, empty one follows): swap them.
    System.arraycopy(sealed, ChunkedGcm.HEADER_LENGTH + frame, swapped, ChunkedGcm.HEADER_LENGTH, frame);
    System.arraycopy(sealed, ChunkedGcm.HEADER_LENGTH, swapped, ChunkedGcm.HEADER_LENGTH + frame, frame);
    assertThatThrownBy(() -> decrypt(swapped, key)).hasMessageContaining("chunk 0 failed AES-GCM authentication");
    assertThatThrownBy(() -> decrypt(sealed, KeyEncryptionKey.newDataKey())).isInstanceOf(ChunkedGcm.TamperedException.class);
  }

  @Test
  void kekWrapsAndOnlyItUnwraps() throws Exception {
    var kek = KeyEncryptionKey.fromBase64(BackupPipelineIT.randomKey());
    var other = KeyEncryptionKey.fromBase64(BackupPipelineIT.randomKey());
    byte[] wrapped = kek.wrap(key);
    assertThat(kek.unwrap(wrapped).getEncoded()).isEqualTo(key.getEncoded());
    assertThatThrownBy(() -> other.unwrap(wrapped)).isInstanceOf(java.security.GeneralSecurityException.class);
    assertThat(kek.fingerprint()).hasSize(16).isNotEqualTo(other.fingerprint());
    assertThat(kek.toString()).isEqualTo("KeyEncryptionKey[fingerprint=" + kek.fingerprint() + "]");
    assertThatThrownBy(() -> KeyEncryptionKey.fromBase64("c2hvcnQ=")).hasMessageContaining("must be 32 bytes");
  }

  private byte[] encrypt(byte[] plain, int chunk) throws IOException {
    var out = new ByteArrayOutputStream();
    try (var enc = ChunkedGcm.encrypt(out, key, chunk)) {
      // Uneven writes exercise the buffering.
      for (int off = 0; off < plain.length; ) {
        int n = Math.min(plain.length - off, 1 + random.nextInt(40));
        enc.write(plain, off, n);
        off += n;
      }
    }
    return out.toByteArray();
  }

  private static byte[] decrypt(byte[] sealed, SecretKey key) throws IOException {
    try (var in = ChunkedGcm.decrypt(new ByteArrayInputStream(sealed), key)) {
      return in.readAllBytes();
    }
  }
}
