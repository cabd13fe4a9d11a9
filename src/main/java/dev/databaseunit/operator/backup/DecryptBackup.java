package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.KeyEncryptionKey;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Recovery by hand, without the operator: decrypts (and decompresses) a downloaded backup object into the pg_dump archive that
 * {@code pg_restore} reads. The key comes from a file or the DATABASEUNIT_KEK environment variable, never from
 * the command line (where {@code ps} and shell history would keep it).
 *
 * <pre>
 * scripts/decrypt-backup.sh --manifest manifest.json --kek-file kek.b64 --in backup.dump.enc --out backup.dump
 * </pre>
 *
 * Exit status 0 only when every chunk authenticated and the sha256 matched the manifest; otherwise the output
 * is incomplete or untrustworthy and is deleted.
 */
public final class DecryptBackup {
  private DecryptBackup() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("usage: decrypt-backup --manifest FILE (--kek-file FILE | env DATABASEUNIT_KEK) --in FILE --out FILE");
      System.err.println(e.getMessage());
      System.exit(2);
    } catch (IOException e) {
      System.err.println("decryption failed: " + e.getMessage());
      System.exit(1);
    }
  }

  static void run(String[] args) throws IOException {
    Path manifestFile = null;
    Path kekFile = null;
    Path in = null;
    Path out = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      Path value = Path.of(args[i + 1]);
      switch (args[i]) {
        case "--manifest" -> manifestFile = value;
        case "--kek-file" -> kekFile = value;
        case "--in" -> in = value;
        case "--out" -> out = value;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (manifestFile == null || in == null || out == null || args.length % 2 != 0) {
      throw new IllegalArgumentException("--manifest, --in and --out are required");
    }
    String kekText = kekFile != null ? Files.readString(kekFile, StandardCharsets.US_ASCII) : System.getenv("DATABASEUNIT_KEK");
    if (kekText == null) {
      throw new IllegalArgumentException("no key: pass --kek-file or set DATABASEUNIT_KEK");
    }
    var manifest = BackupManifest.fromJson(Files.readAllBytes(manifestFile));
    var kek = KeyEncryptionKey.fromBase64(kekText);
    try (InputStream stored = new BufferedInputStream(Files.newInputStream(in));
        InputStream archive = BackupReader.archive(manifest, stored, kek);
        OutputStream target = new BufferedOutputStream(Files.newOutputStream(out))) {
      archive.transferTo(target);
    } catch (IOException e) {
      Files.deleteIfExists(out);
      throw e;
    }
    System.err.println("backup " + manifest.backupId() + ": sha256 and AES-GCM verified, archive written to " + out);
  }
}
