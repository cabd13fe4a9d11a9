package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKey;

/**
 * Turns a stored backup object back into the pg_dump archive: checks that the KEK is the one the manifest
 * names and the manifest's MAC ({@link ManifestMac}), unwraps the data key, decrypts chunk by chunk (each
 * authenticated, and bound to the manifest's backup id, before it is released) and, at the end of the stream,
 * compares the sha256 of the stored bytes with the manifest's.
 */
public final class BackupReader {
  private BackupReader() {}

  /** The key given is not the key that wrapped this backup's data key. */
  public static final class WrongKeyException extends IOException {
    public WrongKeyException(String message) {
      super(message);
    }
  }

  public static SecretKey dataKey(BackupManifest manifest, KeyEncryptionKey kek) throws WrongKeyException, ChunkedGcm.TamperedException {
    authenticity(manifest, kek);
    var encryption = manifest.encryption();
    try {
      return kek.unwrap(Base64.getDecoder().decode(encryption.wrappedDataKey()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new WrongKeyException("The data key of backup " + manifest.backupId() + " does not unwrap with key "
          + kek.fingerprint() + ": the manifest's wrapped key was modified");
    }
  }

  /**
   * Whether the manifest is authenticated under the key given, which must be the one that wrapped its data key; a MAC
   * that does not match is a modified manifest.
   */
  static ManifestMac.Authenticity authenticity(BackupManifest manifest, KeyEncryptionKey kek)
      throws WrongKeyException, ChunkedGcm.TamperedException {
    var encryption = manifest.encryption();
    if (!kek.fingerprint().equals(encryption.keyFingerprint())) {
      throw new WrongKeyException("Backup " + manifest.backupId() + " is encrypted under key " + encryption.keyId()
          + " (fingerprint " + encryption.keyFingerprint() + "), but the key given has fingerprint " + kek.fingerprint());
    }
    return ManifestMac.verify(manifest, kek);
  }

  /**
   * The pg_dump archive that pg_restore reads: decrypted and, when the manifest says it was compressed after pg_dump,
   * decompressed. Reading it to the end verifies it like {@link #decrypted}.
   */
  public static InputStream archive(BackupManifest manifest, InputStream stored, KeyEncryptionKey kek) throws IOException {
    InputStream decrypted = decrypted(manifest, stored, kek);
    if (manifest.archiveCompression() == null) {
      return decrypted;
    }
    return switch (manifest.archiveCompression()) {
      // zstd reads the decrypted stream to its end (it looks for a further frame), so verification still runs.
      case ZSTD -> new BufferedInputStream(new ZstdInputStream(decrypted), 256 * 1024);
      case GZIP, NONE -> decrypted;
    };
  }

  /** The decrypted archive; reading it to the end throws {@link ChunkedGcm.TamperedException} on any change. */
  public static InputStream decrypted(BackupManifest manifest, InputStream stored, KeyEncryptionKey kek) throws IOException {
    MessageDigest sha = BackupService.sha256();
    SecretKey dataKey = dataKey(manifest, kek);
    // An unauthenticated (old) manifest may only describe an old object: one bound to its id never lost its MAC honestly.
    String context = authenticity(manifest, kek) == ManifestMac.Authenticity.AUTHENTICATED ? manifest.backupId() : null;
    InputStream plain = ChunkedGcm.decrypt(new DigestInputStream(stored, sha), dataKey, context);
    return new FilterInputStream(plain) {
      private boolean verified;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0 && !verified) {
          verified = true;
          String actual = HexFormat.of().formatHex(sha.digest());
          if (!actual.equals(manifest.sha256())) {
            throw new ChunkedGcm.TamperedException("sha256 of the stored object is " + actual + ", the manifest says "
                + manifest.sha256());
          }
        }
        return n;
      }
    };
  }
}
