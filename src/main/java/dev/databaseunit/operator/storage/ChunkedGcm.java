package dev.databaseunit.operator.storage;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM over a stream of any length in constant memory: the plaintext is cut into chunks, each sealed on
 * its own (so every chunk is authenticated before a byte of it is released), and each chunk's nonce and
 * associated data carry its index and whether it is the last, so reordered, dropped, duplicated or truncated
 * chunks fail like flipped bits do. Version 2 binds the stream to a context, the backup's id: an object decrypts only
 * as the backup its (authenticated) manifest names. Version 1 streams, written before, are still read.
 *
 * <pre>
 * header: "DUBK" | version (1 byte) | chunk size (int) | nonce prefix (8 random bytes)
 * frame:  plaintext length (int, high bit set on the final frame) | ciphertext + 16-byte tag
 * nonce of frame i = nonce prefix | i (int)
 * associated data  = header | i (long) | final (byte)                                  (v1)
 *                  = header | context length (int) | context (UTF-8) | i (long) | final  (v2)
 * </pre>
 */
public final class ChunkedGcm {
  static final byte[] MAGIC = {'D', 'U', 'B', 'K'};
  /** Written since the backup id is bound; {@link #LEGACY_VERSION} is still read. */
  static final byte VERSION = 2;
  static final byte LEGACY_VERSION = 1;
  static final int HEADER_LENGTH = 4 + 1 + 4 + 8;
  static final int TAG_BYTES = 16;
  static final int FINAL_FLAG = 0x8000_0000;
  /** 1 MiB: big enough that the per-chunk overhead (20 bytes, one cipher init) is noise. */
  public static final int DEFAULT_CHUNK_SIZE = 1 << 20;
  /**
   * A chunk is encrypted 64 KiB at a time: the JIT compiles (and intrinsifies) the AES-GCM loop only after many calls,
   * so 1 MiB calls stay slow for long. On the 2-core dev machine (JDK 25): the first 512 MiB at 21 MB/s in 1 MiB calls,
   * 400 MB/s in 64 KiB slices; warm, 1.05 against 1.2 GB/s.
   */
  static final int SLICE = 64 << 10;
  /** A reader allocates one chunk; a bound keeps a forged header from asking for gigabytes. */
  static final int MAX_CHUNK_SIZE = 64 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private ChunkedGcm() {}

  /** Raised when a stored backup fails authentication: tampered, truncated, or not decrypted with its own key. */
  public static final class TamperedException extends IOException {
    public TamperedException(String message) {
      super(message);
    }
  }

  /** @param context what the stream is bound to: the backup id */
  public static OutputStream encrypt(OutputStream out, SecretKey dataKey, int chunkSize, String context) throws IOException {
    return new Encrypting(out, dataKey, chunkSize, context.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * @param context the backup id the stream must be bound to, or null to accept only a version 1 stream (which is bound
   *     to none)
   */
  public static InputStream decrypt(InputStream in, SecretKey dataKey, String context) throws IOException {
    return new Decrypting(in, dataKey, context != null ? context.getBytes(java.nio.charset.StandardCharsets.UTF_8) : null);
  }

  private static byte[] nonce(byte[] header, int index) {
    return ByteBuffer.allocate(12).put(header, 9, 8).putInt(index).array();
  }

  /** @param context null for a version 1 stream */
  private static byte[] associatedData(byte[] header, byte[] context, long index, boolean last) {
    var aad = ByteBuffer.allocate(HEADER_LENGTH + (context != null ? 4 + context.length : 0) + 9).put(header);
    if (context != null) {
      aad.putInt(context.length).put(context);
    }
    return aad.putLong(index).put((byte) (last ? 1 : 0)).array();
  }

  private static Cipher newCipher() throws IOException {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IOException("AES-GCM is not available", e);
    }
  }

  /** Sets a stream's one cipher up for chunk {@code index} (a fresh nonce each time, so re-initialising is safe). */
  private static Cipher init(Cipher cipher, int mode, SecretKey key, byte[] header, byte[] context, int index, boolean last)
      throws GeneralSecurityException {
    cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce(header, index)));
    cipher.updateAAD(associatedData(header, context, index, last));
    return cipher;
  }

  private static final class Encrypting extends FilterOutputStream {
    private final Cipher cipher = newCipher();
    private final SecretKey key;
    private final byte[] header;
    private final byte[] context;
    private final byte[] plain;
    private final byte[] sealed;
    private int filled;
    private int index;
    private boolean closed;

    Encrypting(OutputStream out, SecretKey key, int chunkSize, byte[] context) throws IOException {
      super(out);
      this.context = context;
      if (chunkSize <= 0 || chunkSize > MAX_CHUNK_SIZE) {
        throw new IllegalArgumentException("chunk size out of range: " + chunkSize);
      }
      this.key = key;
      this.plain = new byte[chunkSize];
      this.sealed = new byte[chunkSize + TAG_BYTES];
      byte[] prefix = new byte[8];
      RANDOM.nextBytes(prefix);
      this.header = ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).put(VERSION).putInt(chunkSize).put(prefix).array();
      out.write(header);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (filled == plain.length) {
          // Only a full buffer is sealed here; the last (possibly full) chunk waits for close() to be marked final.
          seal(false);
        }
        int n = Math.min(len, plain.length - filled);
        System.arraycopy(b, off, plain, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    }

    private void seal(boolean last) throws IOException {
      try {
        init(cipher, Cipher.ENCRYPT_MODE, key, header, context, index, last);
        // The same ciphertext and tag as one doFinal over the chunk: GCM is a stream mode, the slicing is invisible.
        int n = 0;
        int from = 0;
        for (; filled - from > SLICE; from += SLICE) {
          n += cipher.update(plain, from, SLICE, sealed, n);
        }
        n += cipher.doFinal(plain, from, filled - from, sealed, n);
        out.write(ByteBuffer.allocate(4).putInt(last ? filled | FINAL_FLAG : filled).array());
        out.write(sealed, 0, n);
      } catch (GeneralSecurityException e) {
        throw new IOException("AES-GCM encryption failed", e);
      }
      index++;
      filled = 0;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        seal(true);
        out.flush();
      } finally {
        Arrays.fill(plain, (byte) 0);
        out.close();
      }
    }
  }

  private static final class Decrypting extends InputStream {
    private final Cipher cipher = newCipher();
    private final DataInputStream in;
    private final SecretKey key;
    private final byte[] header = new byte[HEADER_LENGTH];
    private final byte[] context;
    private final byte[] sealed;
    private final byte[] plain;
    private int position;
    private int available;
    private int index;
    private boolean finished;

    Decrypting(InputStream source, SecretKey key, byte[] context) throws IOException {
      this.in = new DataInputStream(source);
      this.key = key;
      try {
        in.readFully(header);
      } catch (EOFException e) {
        throw new TamperedException("the object is shorter than the encryption header");
      }
      ByteBuffer h = ByteBuffer.wrap(header);
      byte[] magic = new byte[4];
      h.get(magic);
      byte version = h.get();
      if (!Arrays.equals(magic, MAGIC) || (version != VERSION && version != LEGACY_VERSION)) {
        throw new TamperedException("the object does not start with a backup encryption header (DUBK v1 or v2)");
      }
      if (version == VERSION && context == null) {
        throw new TamperedException("the object is bound to its backup id, but its manifest is not authenticated");
      }
      this.context = version == VERSION ? context : null;
      int chunkSize = h.getInt();
      if (chunkSize <= 0 || chunkSize > MAX_CHUNK_SIZE) {
        throw new TamperedException("the encryption header names an impossible chunk size " + chunkSize);
      }
      this.sealed = new byte[chunkSize + TAG_BYTES];
      this.plain = new byte[chunkSize];
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (position == available) {
        if (finished) {
          return -1;
        }
        open();
      }
      int n = Math.min(len, available - position);
      System.arraycopy(plain, position, b, off, n);
      position += n;
      return n;
    }

    private void open() throws IOException {
      int lengthField;
      try {
        lengthField = in.readInt();
      } catch (EOFException e) {
        throw new TamperedException("the object ends after chunk " + index + " without its final chunk (truncated)");
      }
      boolean last = (lengthField & FINAL_FLAG) != 0;
      int length = lengthField & ~FINAL_FLAG;
      if (length > plain.length) {
        throw new TamperedException("chunk " + index + " claims " + length + " bytes, more than the chunk size");
      }
      try {
        in.readFully(sealed, 0, length + TAG_BYTES);
        available = init(cipher, Cipher.DECRYPT_MODE, key, header, context, index, last).doFinal(sealed, 0, length + TAG_BYTES, plain, 0);
      } catch (EOFException e) {
        throw new TamperedException("chunk " + index + " is cut short (truncated object)");
      } catch (AEADBadTagException e) {
        throw new TamperedException("chunk " + index + " failed AES-GCM authentication: the object was modified, or belongs "
            + "to another backup");
      } catch (GeneralSecurityException e) {
        throw new IOException("AES-GCM decryption failed", e);
      }
      position = 0;
      index++;
      if (last) {
        finished = true;
        if (in.read() >= 0) {
          throw new TamperedException("bytes follow the final chunk: the object was modified");
        }
      }
    }

    @Override
    public void close() throws IOException {
      Arrays.fill(plain, (byte) 0);
      in.close();
    }
  }
}
