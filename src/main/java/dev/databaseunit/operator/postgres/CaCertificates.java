package dev.databaseunit.operator.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * CA bundles from Secrets written to files, because pgjdbc and libpq take a CA as a path. Files are named by
 * the content's hash, so a bundle is written once however many units share it, and a rotated CA gets a new file.
 */
public final class CaCertificates {
  private final Path directory;

  public CaCertificates(Path directory) {
    this.directory = directory;
  }

  /** A private directory under the JVM's temp dir (the operator's root filesystem may be read-only). */
  public static CaCertificates inTempDirectory() {
    try {
      return new CaCertificates(Files.createTempDirectory("databaseunit-ca-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a directory for CA certificates", e);
    }
  }

  public synchronized Path fileFor(String pem) {
    Path file = directory.resolve(sha256(pem) + ".crt");
    if (!Files.exists(file)) {
      try {
        Path tmp = Files.createTempFile(directory, "ca-", ".tmp");
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write CA certificate to " + file, e);
      }
    }
    return file;
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
