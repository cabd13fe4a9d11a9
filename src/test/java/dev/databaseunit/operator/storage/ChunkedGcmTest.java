package dev.databaseunit.operator.storage;

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
    var kek = KeyEncryptionKey.fromBase64(randomKey());
    var other = KeyEncryptionKey.fromBase64(randomKey());
    byte[] wrapped = kek.wrap(key);
    assertThat(kek.unwrap(wrapped).getEncoded()).isEqualTo(key.getEncoded());
    assertThatThrownBy(() -> other.unwrap(wrapped)).isInstanceOf(java.security.GeneralSecurityException.class);
    assertThat(kek.fingerprint()).hasSize(16).isNotEqualTo(other.fingerprint());
    assertThat(kek.toString()).isEqualTo("KeyEncryptionKey[fingerprint=" + kek.fingerprint() + "]");
    assertThatThrownBy(() -> KeyEncryptionKey.fromBase64("c2hvcnQ=")).hasMessageContaining("must be 32 bytes");
  }

  private byte[] encrypt(byte[] plain, int chunk) throws IOException {
    var out = new ByteArrayOutputStream();
    try (var enc = ChunkedGcm.encrypt(out, key, chunk, "daily-20261201T030000Z-abcd")) {
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
    try (var in = ChunkedGcm.decrypt(new ByteArrayInputStream(sealed), key, "daily-20261201T030000Z-abcd")) {
      return in.readAllBytes();
    }
  }

  /** Version 2 binds the object to its backup: the same bytes do not decrypt as another backup. */
  @Test
  void anObjectDecryptsOnlyAsTheBackupItWasWrittenFor() throws IOException {
    byte[] sealed = encrypt(new byte[100], 16);
    assertThatThrownBy(() -> {
      try (var in = ChunkedGcm.decrypt(new ByteArrayInputStream(sealed), key, "daily-20261202T030000Z-beef")) {
        in.readAllBytes();
      }
    }).isInstanceOf(ChunkedGcm.TamperedException.class).hasMessageContaining("belongs to another backup");
    assertThatThrownBy(() -> ChunkedGcm.decrypt(new ByteArrayInputStream(sealed), key, null))
        .isInstanceOf(ChunkedGcm.TamperedException.class).hasMessageContaining("not authenticated");
  }

  /** Backups written before the binding (version 1) stay readable, whatever context the reader names. */
  @Test
  void versionOneObjectsStayReadable() throws Exception {
    byte[] plain = new byte[40];
    random.nextBytes(plain);
    byte[] v1 = encryptVersionOne(plain, 16);
    for (String context : new String[] {null, "daily-20261201T030000Z-abcd"}) {
      try (var in = ChunkedGcm.decrypt(new ByteArrayInputStream(v1), key, context)) {
        assertThat(in.readAllBytes()).isEqualTo(plain);
      }
    }
  }

  /** The version 1 format as the operator wrote it before: AAD = header | index | final, no context. */
  private byte[] encryptVersionOne(byte[] plain, int chunk) throws Exception {
    byte[] header = java.nio.ByteBuffer.allocate(ChunkedGcm.HEADER_LENGTH).put(ChunkedGcm.MAGIC).put((byte) 1).putInt(chunk)
        .put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).array();
    return encryptOneCallPerChunk(plain, chunk, header, null);
  }


  private static String randomKey() {
    byte[] raw = new byte[32];
    new java.security.SecureRandom().nextBytes(raw);
    return java.util.Base64.getEncoder().encodeToString(raw);
  }

  /**
   * Written by the operator before encryption went in 64 KiB slices (one doFinal per chunk): key 00 01 .. 1f, context
   * daily-20261201T030000Z-abcd, chunk size 24, three chunks. It must decrypt as long as archives of that time exist.
   */
  private static final String OLD_ARCHIVE = "4455424b020000001840c17b74f021a84b000000181635f390276aaa6def8803cab4ba5c44f356df8d7c5357"
      + "57405a6ae898bc9d11802b33d0b9e9bd5500000018cd97766af793dda350b75fff008ed5dc709d22ddf64d9ff9a089079473cec5f3947f7538827a"
      + "a8f08000000942a3df8735a2dc188d793e5e443f4349b8b150bbf5f0140a8c";

  @Test
  void anArchiveWrittenBeforeTheSlicesStillDecrypts() throws IOException {
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) i;
    }
    var oldKey = new javax.crypto.spec.SecretKeySpec(raw, "AES");
    assertThat(new String(decrypt(java.util.HexFormat.of().parseHex(OLD_ARCHIVE), oldKey), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("an archive written before the 64 KiB slices: three chunks");
  }

  /**
   * The sliced encryption writes byte for byte what one doFinal per chunk wrote, at the default chunk size and around
   * every slice boundary, so old and new archives are one format; and the reference's output decrypts.
   */
  @Test
  void slicedEncryptionIsByteIdenticalToOneCallPerChunk() throws Exception {
    int chunk = ChunkedGcm.DEFAULT_CHUNK_SIZE;
    int slice = ChunkedGcm.SLICE;
    for (int size : new int[] {0, slice - 1, slice, slice + 1, 3 * slice + 17, chunk - 1, chunk, chunk + 1, 2 * chunk + slice + 5}) {
      byte[] plain = new byte[size];
      random.nextBytes(plain);
      byte[] sliced = encrypt(plain, chunk);
      byte[] reference = encryptOneCallPerChunk(plain, chunk, java.util.Arrays.copyOf(sliced, ChunkedGcm.HEADER_LENGTH),
          "daily-20261201T030000Z-abcd".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(sliced).as("size %d", size).isEqualTo(reference);
      assertThat(decrypt(reference, key)).as("size %d", size).isEqualTo(plain);
    }
  }

  /**
   * The format as written before the slices, one doFinal per chunk: a full chunk is sealed only once more bytes follow,
   * the last one on close.
   *
   * @param context null for version 1 (associated data without it)
   */
  private byte[] encryptOneCallPerChunk(byte[] plain, int chunk, byte[] header, byte[] context) throws Exception {
    var out = new ByteArrayOutputStream();
    out.write(header);
    int chunks = Math.max(1, (plain.length + chunk - 1) / chunk);
    for (int i = 0; i < chunks; i++) {
      int from = i * chunk;
      int length = Math.min(chunk, plain.length - from);
      boolean last = i == chunks - 1;
      var cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(javax.crypto.Cipher.ENCRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128,
          java.nio.ByteBuffer.allocate(12).put(header, 9, 8).putInt(i).array()));
      var aad = java.nio.ByteBuffer.allocate(ChunkedGcm.HEADER_LENGTH + (context != null ? 4 + context.length : 0) + 9).put(header);
      if (context != null) {
        aad.putInt(context.length).put(context);
      }
      cipher.updateAAD(aad.putLong(i).put((byte) (last ? 1 : 0)).array());
      byte[] sealed = cipher.doFinal(plain, from, length);
      out.write(java.nio.ByteBuffer.allocate(4).putInt(last ? length | ChunkedGcm.FINAL_FLAG : length).array());
      out.write(sealed);
    }
    return out.toByteArray();
  }
}
